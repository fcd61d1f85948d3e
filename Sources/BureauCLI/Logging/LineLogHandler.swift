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
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
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
        get { metadata[key] }
        set { metadata[key] = newValue }
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
    /// the dictionary (the writer thread formats one per request).
    static func requestLine(_ record: RequestLogRecord, time: WallTime, level: Logger.Level, label: String) -> String {
        var line = "\(time.local) \(level) \(label):"
        line.reserveCapacity(line.utf8.count + 192 + record.target.utf8.count)
        func field(_ key: StaticString, _ value: String) {
            line += " "
            line += key.description
            line += "="
            line += TerminalText.escaped(value)
        }
        if let authMethod = record.authMethod { field("auth_method", authMethod) }
        if let client = record.client { field("client", client.description) }
        field("duration_ms", String(record.durationMilliseconds))
        field("hb.request.id", record.requestID)
        field("hb.request.method", record.method)
        field("hb.request.uri", record.target)
        field("hb.response.status", String(record.status))
        if let route = record.route { field("route", route) }
        if let userID = record.userID { field("user_id", userID.description) }
        line += " [BureauServer] request\n"
        return line
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
