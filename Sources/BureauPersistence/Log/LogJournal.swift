import BureauStore
import CoreMetrics
import Dispatch
import Foundation
import Logging
import Synchronization

/// The production ``MutationJournal``: appends each mutation as a framed record to the current log
/// segment, rolls segments at a size, and makes records durable as ``FsyncPolicy`` says.
///
/// - A write that fails (disk full, I/O error) leaves the segment as it was: it is cut back to the
///   last intact record, `append` throws (the store refuses the mutation and keeps its memory as it
///   was), and ``isWritable`` is `false` until a later append succeeds, which it does by itself once
///   space returns.
/// - A failed sync is fatal: whether the disk holds the records is unknown, so ``FatalHandler`` is
///   called (by default: log and exit the process, so that recovery reads back what the disk has).
/// - With `always`, waiters share syncs (group commit): one sync thread syncs everything written so
///   far and wakes every waiter it covered, while the writes that arrive meanwhile wait for the next.
public final class LogJournal: MutationJournal {
    /// Called once when a sync fails; it is not expected to return in production.
    public typealias FatalHandler = @Sendable (StorageError) -> Void

    struct State {
        var closedSegments: [LogSegmentInfo]
        var current: OpenSegment?
        var lastWritten: UInt64
        var durable: UInt64
        /// Rolled segments whose last records may not be synced yet.
        var unsynced: [SegmentFile] = []
        var directoryUnsynced = false
        var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var syncRunning = false
        var intervalSyncScheduled = false
        /// A failed write could not be cut back: cut before the next one.
        var truncationPending = false
        var writable = true
        var failure: StorageError?
        var closed = false
        var bytesAppended: UInt64 = 0
    }

    let directory: DataDirectory
    let options: LogJournalOptions
    let logger: Logger
    let onFatal: FatalHandler
    let metrics: LogJournalMetrics
    let state: Mutex<State>
    let syncQueue = DispatchQueue(label: "bureau.log.sync", qos: .userInitiated)
    var fileSystem: any FileSystem { directory.fileSystem }

    /// A journal continuing the log that `recovered` describes, in `directory`.
    ///
    /// - Parameter onFatal: what to do when a sync fails; `nil` logs and exits the process.
    public init(
        directory: DataDirectory,
        recovered: RecoveredState,
        options: LogJournalOptions = LogJournalOptions(),
        logger: Logger,
        metrics: LogJournalMetrics = LogJournalMetrics(),
        onFatal: FatalHandler? = nil
    ) throws(StorageError) {
        self.directory = directory
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.onFatal = onFatal ?? Self.exitingProcess(logger: logger)
        let sequence = recovered.state.sequence
        var closed = recovered.segments
        var current: OpenSegment?
        if let last = closed.last {
            let continues = last.lastSequence == sequence || (last.lastSequence == nil && last.firstSequence == sequence + 1)
            if continues {
                closed.removeLast()
                let fileSystem = directory.fileSystem
                let path = directory.path(of: last.name)
                let descriptor = try attempt(fileSystem.open(path, .readWrite))
                current = OpenSegment(
                    file: SegmentFile(descriptor: descriptor, name: last.name, fileSystem: fileSystem),
                    firstSequence: last.firstSequence,
                    size: last.size,
                    lastSequence: last.lastSequence
                )
                // What recovery read may still be only in the page cache (a `never` run before a crash).
                if options.fsync != .never {
                    try attempt(fileSystem.synchronize(descriptor, metadata: false))
                }
            } else if last.lastSequence == nil {
                // An empty segment the state has moved past: it holds nothing, and a new one will follow.
                closed.removeLast()
                let fileSystem = directory.fileSystem
                try attempt(fileSystem.remove(directory.path(of: last.name)))
            }
        }
        state = Mutex(State(closedSegments: closed, current: current, lastWritten: sequence, durable: sequence))
    }

    /// The default ``FatalHandler``: logs, then exits with status 70 so a supervisor restarts the process.
    public static func exitingProcess(logger: Logger) -> FatalHandler {
        { error in
            logger.critical("the log could not be synced; exiting so that recovery reads back what the disk holds", metadata: ["error": "\(error)"])
            exit(70)
        }
    }

    /// `false` after a write failed, until one succeeds again (and for good after a sync failed or once closed).
    public var isWritable: Bool {
        state.withLock { $0.writable && $0.failure == nil && !$0.closed }
    }

    /// The sequence of the last record written.
    public var lastSequence: UInt64 { state.withLock { $0.lastWritten } }

    /// The sequence of the last record known to be synced.
    package var durableSequence: UInt64 { state.withLock { $0.durable } }

    /// Bytes of records appended by this journal since it opened (the snapshot size trigger uses it).
    public var bytesAppended: UInt64 { state.withLock { $0.bytesAppended } }

    /// The segments, oldest first, the current one last.
    public var segments: [LogSegmentInfo] {
        state.withLock { $0.closedSegments + ($0.current.map { [$0.info] } ?? []) }
    }

    public func append(_ mutation: Mutation, sequence: UInt64) throws {
        let frame = RecordFrame.encode(mutation, sequence: sequence)
        try state.withLock { state throws(StorageError) in
            if let failure = state.failure { throw failure }
            guard !state.closed else { throw StorageError.journalClosed }
            guard sequence == state.lastWritten + 1 else { throw StorageError.outOfOrder(expected: state.lastWritten + 1, found: sequence) }
            do throws(FileSystemError) {
                let started = ContinuousClock.now
                try write(frame, sequence: sequence, into: &state)
                metrics.append.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            } catch {
                state.writable = false
                logger.warning("a log write failed; writes are refused until one succeeds", metadata: ["error": "\(error)"])
                throw StorageError.writeRefused(error)
            }
            if !state.writable { logger.notice("log writes succeed again") }
            state.writable = true
            state.lastWritten = sequence
            state.bytesAppended += UInt64(frame.count)
            if options.fsync == .interval, !state.intervalSyncScheduled {
                state.intervalSyncScheduled = true
                syncQueue.asyncAfter(deadline: .now() + options.syncInterval.timeInterval) { [self] in
                    self.state.withLock { $0.intervalSyncScheduled = false }
                    syncRound()
                }
            }
        }
    }

    /// Writes `frame` at the end of the current segment (starting a new one first if needed). On a
    /// failure the segment is cut back to where it was.
    private func write(_ frame: [UInt8], sequence: UInt64, into state: inout State) throws(FileSystemError) {
        if state.truncationPending, let current = state.current {
            try fileSystem.truncate(current.file.descriptor, to: current.size)
            state.truncationPending = false
        }
        if let current = state.current, current.lastSequence == nil || current.size + Int64(frame.count) <= options.segmentBytes {
            // The record fits (or the segment is empty: a record larger than a segment still gets one).
        } else {
            try startSegment(at: sequence, state: &state)
        }
        guard var current = state.current else { return }
        do throws(FileSystemError) {
            try fileSystem.write(current.file.descriptor, frame, at: current.size)
        } catch {
            do throws(FileSystemError) {
                try fileSystem.truncate(current.file.descriptor, to: current.size)
            } catch {
                state.truncationPending = true
            }
            throw error.on(current.file.name)
        }
        current.size += Int64(frame.count)
        current.lastSequence = sequence
        state.current = current
    }

    /// Creates the segment whose first record will be `sequence` and makes it current.
    private func startSegment(at sequence: UInt64, state: inout State) throws(FileSystemError) {
        let name = StorageFileName.segment(sequence)
        let path = directory.path(of: name)
        let descriptor = try fileSystem.open(path, .create(permissions: DataDirectory.filePermissions))
        do throws(FileSystemError) {
            try fileSystem.truncate(descriptor, to: 0)
            try fileSystem.write(descriptor, SegmentHeader(firstSequence: sequence).bytes, at: 0)
        } catch {
            fileSystem.close(descriptor)
            try? fileSystem.remove(path)
            throw error.on(name)
        }
        if let previous = state.current {
            state.closedSegments.append(previous.info)
            if options.fsync != .never { state.unsynced.append(previous.file) }
        }
        state.current = OpenSegment(
            file: SegmentFile(descriptor: descriptor, name: name, fileSystem: fileSystem),
            firstSequence: sequence,
            size: Int64(SegmentHeader.size),
            lastSequence: nil
        )
        state.directoryUnsynced = true
    }
}
