import BureauAuth
import BureauServer
import BureauStore
import Logging

/// The JSON format's lines: `{"time", "level", "label", "message", ...}` then the metadata, one object per
/// line. The request fields have names of their own (`request_id`, equal to the response's
/// `x-request-id`; `method`, `target`, `route`, `status`, `duration_ms`, `user_id`, `auth_method`,
/// `client`); `status` and `duration_ms` are numbers. Strings are escaped so that a line holds no raw
/// control character, line break or invisible format character (they become `\u` escapes): the
/// document means the same, and a terminal shows it as it is.
enum JSONLogLine {
    /// Metadata names of the request fields, and their names in a JSON line.
    static let fieldNames: [String: String] = [
        "hb.request.id": "request_id", "hb.request.method": "method", "hb.request.uri": "target", "hb.response.status": "status",
    ]

    /// Fields written as JSON numbers when their value reads as one.
    static let numericFields: Set<String> = ["status", "duration_ms"]

    /// One line for a log event.
    static func line(
        time: WallTime,
        level: Logger.Level,
        label: String,
        metadata: Logger.Metadata,
        source: String,
        message: Logger.Message
    )
        -> String
    {
        var line = opening(time: time, level: level, label: label, message: "\(message)")
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let name = fieldNames[key] ?? key
            line += ","
            appendString(name, to: &line)
            line += ":"
            if numericFields.contains(name), case .stringConvertible = value, let number = Double("\(value)"), number.isFinite {
                line += "\(value)"
            } else if numericFields.contains(name), case .string(let text) = value, Double(text)?.isFinite == true {
                line += text
            } else {
                appendValue(value, to: &line)
            }
        }
        line += ",\"source\":"
        appendString(source, to: &line)
        line += "}\n"
        return line
    }

    /// One line for a request's record.
    static func request(_ record: RequestLogRecord, time: WallTime, level: Logger.Level, label: String) -> String {
        var line = opening(time: time, level: level, label: label, message: "request")
        field("request_id", record.requestID, to: &line)
        field("method", record.method, to: &line)
        field("target", record.target, to: &line)
        if let route = record.route { field("route", route, to: &line) }
        line += ",\"status\":\(record.status),\"duration_ms\":\(record.durationMilliseconds)"
        if let user = record.userID { field("user_id", user.description, to: &line) }
        if let method = record.authMethod { field("auth_method", method, to: &line) }
        if let client = record.client { field("client", client.description, to: &line) }
        line += "}\n"
        return line
    }

    private static func opening(time: WallTime, level: Logger.Level, label: String, message: String) -> String {
        var line = "{\"time\":\"\(time.rfc3339)\",\"level\":\"\(level)\",\"label\":"
        line.reserveCapacity(256)
        appendString(label, to: &line)
        line += ",\"message\":"
        appendString(message, to: &line)
        return line
    }

    private static func field(_ name: String, _ value: String, to line: inout String) {
        line += ",\"\(name)\":"
        appendString(value, to: &line)
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let members):
            line += "{"
            for (index, (key, element)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendValue(element, to: &line)
            }
            line += "}"
        }
    }

    /// `text` as a JSON string: `"` and `\` escaped, and every character a terminal would not simply show
    /// (controls, line separators, invisible format characters) as `\u` escapes of its UTF-16 units.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        // Printable ASCII without a quote or a backslash needs no escape (nearly every value of a request line).
        if TerminalText.isPlainASCII(text, except: UInt8(ascii: "\""), UInt8(ascii: "\\")) {
            line += text
            line += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            default:
                if TerminalText.isShown(scalar) {
                    line.unicodeScalars.append(scalar)
                } else {
                    for unit in String(scalar).utf16 {
                        let hex = String(unit, radix: 16)
                        line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    }
                }
            }
        }
        line += "\""
    }
}
