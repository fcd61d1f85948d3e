import BureauServer
import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `log.format`: how log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `<time> <level> <label>: <key=value ...> [<source>] <message>`, as swift-log's stream handler.
    case text
    /// One JSON object per line.
    case json
}

/// One thing to write: a line already formatted, or a request's record, formatted by the writer's thread.
enum LogEntry: Sendable {
    case line(String)
    case request(RequestLogRecord, label: String, level: Logger.Level, at: WallTime)
}

/// A moment of the wall clock, read cheaply on the request path and formatted later.
struct WallTime: Sendable {
    var seconds: Int
    var nanoseconds: Int

    static func now() -> WallTime {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return WallTime(seconds: Int(now.tv_sec), nanoseconds: Int(now.tv_nsec))
    }

    /// Local time as `2026-11-22T17:30:00+0000` (the text format's, as swift-log's stream handler writes it).
    var local: String { Self.format(seconds, "%Y-%m-%dT%H:%M:%S%z", utc: false) }

    /// ``local``'s text, formatted once per second: a thread writing many lines a second keeps one.
    struct LocalText {
        private var second = Int.min
        private var text: [UInt8] = []

        /// ``local`` of `time`, as bytes.
        mutating func of(_ time: WallTime) -> [UInt8] {
            if time.seconds != second {
                text = Array(time.local.utf8)
                second = time.seconds
            }
            return text
        }
    }

    /// UTC with milliseconds, `2026-11-22T17:30:00.123Z` (the JSON format's, as the API writes times).
    var rfc3339: String {
        let milliseconds = nanoseconds / 1_000_000
        let digits = String(milliseconds)
        return Self.format(seconds, "%Y-%m-%dT%H:%M:%S", utc: true) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    private static func format(_ seconds: Int, _ pattern: String, utc: Bool) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard (utc ? gmtime_r(&time, &parts) : localtime_r(&time, &parts)) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Writes log lines from a thread of its own, in batches: a request only appends its record to a queue
/// (no formatting, no system call on the request path); the thread formats what has queued up and
/// writes it with one `write(2)`.
///
/// The thread is woken only when it sleeps: after a batch it lingers for ``linger`` and takes whatever
/// came meanwhile, so under load a request never pays for waking it (a semaphore signal and a context
/// switch each, when every request woke it), and it sleeps again once a linger brings nothing. A queue
/// half full wakes it early.
///
/// The queue is bounded (`capacity` entries): when the writer cannot keep up, further entries are
/// dropped rather than making requests wait, counted in ``droppedEntries``, and the log says how many
/// as soon as it catches up. ``close()`` writes everything queued before it returns, so no line is lost
/// at shutdown; after it, entries are written at once by the caller.
public final class LogWriter: Sendable {
    public let format: LogFormat
    private let capacity: Int
    private let output: @Sendable ([UInt8]) -> Void
    private let queue: Mutex<Queue>
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    private struct Queue {
        var pending: [LogEntry] = []
        /// Dropped since the log last said so.
        var dropped = 0
        var droppedTotal = 0
        var closing = false
        var closed = false
        /// The thread waits for a signal (rather than lingering): the next entry must wake it.
        var sleeping = true
    }

    /// How long the thread waits for more entries after writing a batch before it goes to sleep.
    static let linger: DispatchTimeInterval = .milliseconds(5)

    /// A writer to standard error.
    public convenience init(format: LogFormat, capacity: Int = 65_536) {
        self.init(format: format, capacity: capacity, output: Self.standardError)
    }

    /// A writer giving each batch's bytes to `output` (tests capture or hold them).
    init(format: LogFormat, capacity: Int, output: @escaping @Sendable ([UInt8]) -> Void) {
        self.format = format
        self.capacity = max(capacity, 1)
        self.output = output
        self.queue = Mutex(Queue())
        let thread = Thread { [self] in run() }
        thread.name = "bureau-log-writer"
        thread.start()
    }

    /// Entries dropped because the queue was full, since start.
    public var droppedEntries: Int { queue.withLock { $0.droppedTotal } }

    /// Queues `entry` without waiting (or drops it when the queue is full).
    func enqueue(_ entry: LogEntry) {
        enum Action {
            case queued(wake: Bool)
            case dropped, writeNow
        }
        let action = queue.withLock { queue -> Action in
            if queue.closed { return .writeNow }
            guard queue.pending.count < capacity else {
                queue.dropped += 1
                queue.droppedTotal += 1
                return .dropped
            }
            queue.pending.append(entry)
            let wake = queue.sleeping || queue.pending.count == capacity / 2
            queue.sleeping = false
            return .queued(wake: wake)
        }
        switch action {
        case .queued(let wake): if wake { self.wake.signal() }
        case .dropped: break
        case .writeNow:
            var bytes: [UInt8] = []
            var times = WallTime.LocalText()
            append(entry, to: &bytes, times: &times)
            output(bytes)
        }
    }

    /// Writes everything queued, stops the thread, and from then on writes entries as they come. Safe to
    /// call more than once.
    public func close() {
        let first = queue.withLock { queue -> Bool in
            defer { queue.closing = true }
            return !queue.closing
        }
        guard first else { return }
        wake.signal()
        finished.wait()
    }

    private func run() {
        var times = WallTime.LocalText()
        while true {
            wake.wait()
            while true {
                let (batch, dropped, closing) = queue.withLock { queue in
                    let taken = (queue.pending, queue.dropped, queue.closing)
                    // Closed once nothing is left: later entries are written by their callers, after these.
                    if queue.closing, queue.pending.isEmpty, queue.dropped == 0 { queue.closed = true }
                    queue.pending.removeAll(keepingCapacity: true)
                    queue.dropped = 0
                    return taken
                }
                if batch.isEmpty, dropped == 0 {
                    if closing {
                        finished.signal()
                        return
                    }
                    // Nothing came during the linger: sleep, unless something came since the batch was taken
                    // (checked under the lock its producer holds, so no entry is left without a wake-up).
                    let asleep = queue.withLock { queue in
                        guard queue.pending.isEmpty, queue.dropped == 0, !queue.closing else { return false }
                        queue.sleeping = true
                        return true
                    }
                    if asleep { break } else { continue }
                }
                var bytes: [UInt8] = []
                bytes.reserveCapacity(batch.count * 200)
                for entry in batch { append(entry, to: &bytes, times: &times) }
                if dropped > 0 { append(droppedNotice(dropped), to: &bytes, times: &times) }
                output(bytes)
                // Let the next entries gather; a close or a half-full queue cuts the wait short.
                _ = wake.wait(timeout: .now() + Self.linger)
            }
        }
    }

    private func droppedNotice(_ count: Int) -> LogEntry {
        let metadata: Logger.Metadata = ["dropped": .stringConvertible(count)]
        let message: Logger.Message = "the log writer fell behind: lines were dropped rather than slow requests down"
        let time = WallTime.now()
        return switch format {
        case .text:
            .line(LineLogHandler.line(time: time, level: .warning, label: "bureau.log", metadata: metadata, source: "BureauCLI", message: message))
        case .json:
            .line(JSONLogLine.line(time: time, level: .warning, label: "bureau.log", metadata: metadata, source: "BureauCLI", message: message))
        }
    }

    /// Appends `entry`'s line to `bytes`; `times` keeps the text format's time of the current second.
    private func append(_ entry: LogEntry, to bytes: inout [UInt8], times: inout WallTime.LocalText) {
        switch entry {
        case .line(let line):
            bytes.append(contentsOf: line.utf8)
        case .request(let record, let label, let level, let time):
            switch format {
            case .text: LineLogHandler.appendRequestLine(record, time: times.of(time), level: level, label: label, to: &bytes)
            case .json: bytes.append(contentsOf: JSONLogLine.request(record, time: time, level: level, label: label).utf8)
            }
        }
    }

    private static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        bytes.withUnsafeBytes { writeToStandardError($0) }
    }

    /// Writes all of `buffer` to standard error with as few `write(2)` calls as it takes (so lines of
    /// concurrent writers do not mix); what cannot be written is dropped: there is nowhere left to report it.
    static func writeToStandardError(_ buffer: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}

/// The request log of `bureau serve`: records go to the writer's queue.
struct WriterRequestLog: RequestLog {
    let writer: LogWriter
    var level: Logger.Level = .info

    func isEnabled(for logger: Logger) -> Bool { logger.logLevel <= level }

    func record(_ record: RequestLogRecord, logger: Logger) {
        writer.enqueue(.request(record, label: logger.label, level: level, at: .now()))
    }
}
