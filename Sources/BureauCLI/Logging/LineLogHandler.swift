import BureauAuth
import BureauServer
import BureauStore
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One line per log event, in the layout of swift-log's `StreamLogHandler`
/// (`<time> <level> <label>: <key=value ...> [<source>] <message>`), or in the `json` format one JSON
/// object (``JSONLogLine``), with metadata rendered only when a line is actually written.
///
/// `StreamLogHandler` renders its metadata into a string each time an item is set. The HTTP server sets a
/// request id on every request's logger, so that rendering ran on every request, logged or not, for a few
/// percent of the server's time; here setting an item only stores it.
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadataProvider: Logger.MetadataProvider?
    /// The metadata but for the request id.
    private var otherMetadata: Logger.Metadata = [:]
    /// `hb.request.id`, kept apart: the framework sets it on every request's logger and the server sets it
    /// again (``requestIDKey``); in the dictionary, each set copied the metadata the logger shares with the
    /// server's, on every request.
    private var requestID: Logger.Metadata.Value?

    /// The metadata key of a request's id.
    static let requestIDKey = "hb.request.id"

    var metadata: Logger.Metadata {
        get {
            guard let requestID else { return otherMetadata }
            var metadata = otherMetadata
            metadata[Self.requestIDKey] = requestID
            return metadata
        }
        set {
            var newValue = newValue
            requestID = newValue.removeValue(forKey: Self.requestIDKey)
            otherMetadata = newValue
        }
    }
    private let label: String
    /// `text` (this layout) or `json` (``JSONLogLine``).
    private let format: LogFormat
    private let output: @Sendable (String) -> Void

    /// A handler writing to standard error, each line with one `write(2)` (so lines of concurrent events
    /// do not mix), unbuffered like `stderr`.
    static func standardError(label: String, level: Logger.Level) -> LineLogHandler {
        LineLogHandler(label: label, level: level, metadataProvider: LoggingSystem.metadataProvider) { line in
            var line = line
            line.withUTF8 { LogWriter.writeToStandardError(UnsafeRawBufferPointer($0)) }
        }
    }

    /// A handler giving its lines, in `format`, to `output` (tests capture them).
    init(
        label: String,
        level: Logger.Level,
        format: LogFormat = .text,
        metadataProvider: Logger.MetadataProvider? = nil,
        output: @escaping @Sendable (String) -> Void
    ) {
        self.format = format
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.output = output
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { key == Self.requestIDKey ? requestID : otherMetadata[key] }
        set {
            if key == Self.requestIDKey {
                requestID = newValue
            } else {
                otherMetadata[key] = newValue
            }
        }
    }

    func log(event: LogEvent) {
        let merged = Self.merged(metadata, provider: metadataProvider, event: event)
        let line =
            switch format {
            case .text: Self.line(time: .now(), level: event.level, label: label, metadata: merged, source: event.source, message: event.message)
            case .json:
                JSONLogLine.line(time: .now(), level: event.level, label: label, metadata: merged, source: event.source, message: event.message)
            }
        output(line)
    }

    /// The handler's metadata, then the provider's, then the event's own (each overriding the one before),
    /// and the event's error.
    static func merged(_ metadata: Logger.Metadata, provider: Logger.MetadataProvider?, event: LogEvent) -> Logger.Metadata {
        var merged = metadata
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }

    /// The text line of a request's record: the line ``line(time:level:label:metadata:source:message:)``
    /// makes of `record.metadata`, written field by field in the keys' order without building and sorting
    /// the dictionary.
    static func requestLine(_ record: RequestLogRecord, time: WallTime, level: Logger.Level, label: String) -> String {
        var bytes: [UInt8] = []
        appendRequestLine(record, time: Array(time.local.utf8), level: level, label: label, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``requestLine(_:time:level:label:)``'s line to `bytes`, with `time` already formatted as
    /// ``WallTime/local`` (the writer thread formats each second once, and one line per request): bytes
    /// written straight into the batch, without a `String` per line or per value.
    static func appendRequestLine(_ record: RequestLogRecord, time: [UInt8], level: Logger.Level, label: String, to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + time.count + 224 + record.target.utf8.count)
        bytes.append(contentsOf: time)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: level.rawValue.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: label.utf8)
        bytes.append(UInt8(ascii: ":"))
        func key(_ name: StaticString) {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            bytes.append(UInt8(ascii: "="))
        }
        func field(_ name: StaticString, _ value: String) {
            key(name)
            appendEscaped(value, to: &bytes)
        }
        if let authMethod = record.authMethod { field("auth_method", authMethod) }
        if let client = record.client { field("client", client.description) }
        key("duration_ms")
        if let tenths = record.durationTenthsOfMilliseconds {
            appendDecimal(tenths / 10, to: &bytes)
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0") + UInt8(tenths % 10))
        } else {
            bytes.append(contentsOf: String(record.durationMilliseconds).utf8)
        }
        field("hb.request.id", record.requestID)
        field("hb.request.method", record.method)
        field("hb.request.uri", record.target)
        key("hb.response.status")
        if record.status >= 0 {
            appendDecimal(record.status, to: &bytes)
        } else {
            bytes.append(contentsOf: String(record.status).utf8)
        }
        if let route = record.route { field("route", route) }
        if let userID = record.userID {
            key("user_id")
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: UserID.canonicalWidth))
            bytes.withUnsafeMutableBufferPointer { userID.writeCanonical(into: UnsafeMutableBufferPointer(rebasing: $0[start...])) }
        }
        bytes.append(contentsOf: " [BureauServer] request\n".utf8)
    }

    /// Appends `value` as ``TerminalText/escaped(_:)`` writes it: as it is when it is printable ASCII without
    /// a backslash (nearly every value: ids, methods, routes, addresses), else through the escaping.
    private static func appendEscaped(_ value: String, to bytes: inout [UInt8]) {
        let plain =
            value.utf8.withContiguousStorageIfAvailable { text -> Bool in
                for byte in text where byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\\") { return false }
                bytes.append(contentsOf: text)
                return true
            } ?? false
        if !plain { bytes.append(contentsOf: TerminalText.escaped(value).utf8) }
    }

    /// Appends the decimal digits of `value` (not negative).
    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }

    /// One line of the text format, ending in a line feed.
    static func line(
        time: WallTime,
        level: Logger.Level,
        label: String,
        metadata: Logger.Metadata,
        source: String,
        message: Logger.Message
    ) -> String {
        // Values may quote a request (a path, a header) or stored data: a line never carries a raw control
        // character to the operator's terminal, nor a line break that would forge another line.
        let rendered =
            metadata.isEmpty
            ? "" : " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\(TerminalText.escaped("\($0.value)"))" }.joined(separator: " ")
        return "\(time.local) \(level) \(label):\(rendered) [\(source)] \(TerminalText.escaped("\(message)"))\n"
    }
}
