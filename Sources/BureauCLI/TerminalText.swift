/// Text made safe to write to an operator's terminal.
///
/// Stored data (names, emails) and echoed input may hold bytes a terminal obeys rather than shows: ESC
/// sequences that move the cursor, retitle the window or rewrite what was printed before, BEL, C1 controls
/// (which some terminals take as ESC sequences), and bidirectional overrides that make text read in an
/// order other than its bytes'. Every command that prints such text passes it through ``escaped(_:)``.
public enum TerminalText {
    /// `text` with every character a terminal would not simply display written as a visible escape:
    /// C0 controls (tab and line feed included), DEL and C1 controls as `\u{1B}`, invisible format
    /// characters (bidirectional overrides and isolates, zero-width characters, the byte-order mark) and
    /// line or paragraph separators the same way, and the backslash itself as `\\`, so that an escape
    /// printed can never be confused with text that looked like one. Printable text is unchanged.
    public static func escaped(_ text: some StringProtocol) -> String {
        // Nearly every log value (ids, methods, routes, addresses) is printable ASCII: returned as it is,
        // without a look at each character's Unicode properties.
        if isPlainASCII(text, except: UInt8(ascii: "\\")) { return String(text) }
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                output += "\\\\"
            } else if isShown(scalar) {
                output.unicodeScalars.append(scalar)
            } else {
                output += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return output
    }

    /// `text` escaped as ``escaped(_:)`` does, line by line: line feeds stay, for messages of several
    /// lines (help, reports) that quote stored data or input.
    public static func escapedLines(_ text: some StringProtocol) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escaped($0) }.joined(separator: "\n")
    }

    /// JSON text (as `JSONEncoder` writes it: control characters inside strings already escaped) with
    /// every other character ``escaped(_:)`` would escape written as a JSON `\u` escape (four hex digits) instead: the
    /// document means the same, and a terminal shows it as it is. Line feeds, which pretty-printing puts
    /// between values, stay.
    public static func escapedJSON(_ json: some StringProtocol) -> String {
        var output = ""
        output.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            if scalar == "\n" || isShown(scalar) {
                output.unicodeScalars.append(scalar)
            } else {
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: true)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        return output
    }

    /// Whether `text` is only printable ASCII (space to `~`) other than `special` and `alsoSpecial`: text that
    /// no escaping changes.
    static func isPlainASCII(_ text: some StringProtocol, except special: UInt8, _ alsoSpecial: UInt8? = nil) -> Bool {
        text.utf8.allSatisfy { byte in byte >= 0x20 && byte < 0x7F && byte != special && byte != alsoSpecial }
    }

    /// Whether a terminal displays `scalar` as itself.
    static func isShown(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: false
        default: true
        }
    }
}
