import BureauCLI
import Foundation
import Testing

@Suite("TerminalText: what commands print is shown, never obeyed")
struct TerminalTextTests {
    @Test("printable text, accents, CJK and emoji are unchanged")
    func printable() {
        for text in ["deploy", "CI Pipeline #2 (prod)", "Zoë's clé", "東京デスク", "🚀 launch", "a/b:c=d"] {
            #expect(TerminalText.escaped(text) == text)
        }
    }

    @Test("every printable ASCII character but the backslash is unchanged, alone and among others")
    func printableASCII() {
        let printable = (0x20...0x7E).map { Character(Unicode.Scalar(UInt8($0))) }.filter { $0 != "\\" }
        for character in printable { #expect(TerminalText.escaped(String(character)) == String(character)) }
        #expect(TerminalText.escaped(String(printable)) == String(printable))
        #expect(TerminalText.escaped("a\\b c") == "a\\\\b c", "a backslash among plain ASCII is still doubled")
        #expect(TerminalText.escaped("a\u{1B}b") == "a\\u{1B}b")
    }

    @Test("every C0 control, DEL and every C1 control is escaped", arguments: Array(0x00...0x1F) + Array(0x7F...0x9F))
    func controls(value: Int) throws {
        let scalar = try #require(Unicode.Scalar(value))
        let escaped = TerminalText.escaped("a" + String(Character(scalar)) + "b")
        #expect(escaped == "a\\u{\(String(value, radix: 16, uppercase: true))}b")
        #expect(!escaped.unicodeScalars.contains(scalar))
    }

    @Test("ESC sequences lose their ESC and BEL: title, screen clear, colours, 8-bit CSI")
    func escapeSequences() {
        #expect(TerminalText.escaped("\u{1B}]0;owned\u{07}") == "\\u{1B}]0;owned\\u{7}")
        #expect(TerminalText.escaped("\u{1B}[2J\u{1B}[31mred") == "\\u{1B}[2J\\u{1B}[31mred")
        #expect(TerminalText.escaped("\u{9B}31m") == "\\u{9B}31m")
        #expect(TerminalText.escaped("line\r\nfake prompt$ ") == "line\\u{D}\\u{A}fake prompt$ ")
    }

    @Test(
        "bidirectional overrides, isolates, marks and invisible characters are escaped",
        arguments: [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C, 0x200B, 0xFEFF, 0x2028, 0x2029]
    )
    func invisible(value: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(value))
        let escaped = TerminalText.escaped("key" + String(Character(scalar)) + "exe.txt")
        #expect(!escaped.unicodeScalars.contains(scalar))
        #expect(escaped.contains("\\u{\(String(value, radix: 16, uppercase: true))}"))
    }

    @Test("a backslash is doubled, so text that looks like an escape cannot pass for one")
    func backslash() {
        #expect(TerminalText.escaped("\\u{1B}") == "\\\\u{1B}")
        #expect(TerminalText.escaped("\u{1B}") != TerminalText.escaped("\\u{1B}"))
    }

    @Test("invalid UTF-8 arrives as replacement characters, shown as such; unassigned scalars are escaped")
    func invalidScalars() {
        let decoded = String(decoding: [0x61, 0xFF, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x62] as [UInt8], as: UTF8.self)
        let escaped = TerminalText.escaped(decoded)
        #expect(escaped.hasPrefix("a") && escaped.hasSuffix("b") && escaped.contains("\u{FFFD}"))
        #expect(escaped.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) })
        #expect(TerminalText.escaped("\u{E0000}x") == "\\u{E0000}x")
    }

    @Test("escapedLines keeps line feeds and escapes the rest of each line")
    func lines() {
        #expect(TerminalText.escapedLines("one\u{1B}[2J\ntwo\tthree\n") == "one\\u{1B}[2J\ntwo\\u{9}three\n")
    }

    @Test("escapedJSON writes hidden characters as JSON escapes: the same document, shown as it is")
    func json() throws {
        struct Record: Codable, Equatable { var name: String }
        let record = Record(name: "a\u{1B}[2J\u{9B}\u{7F}\u{202E}\u{E0001}b\\\"")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let text = String(decoding: try encoder.encode(record), as: UTF8.self)
        let escaped = TerminalText.escapedJSON(text)
        #expect(escaped.unicodeScalars.allSatisfy { $0 == "\n" || ($0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) && $0.value < 0x2000) })
        #expect(escaped.contains("\\u009B") && escaped.contains("\\u202E") && escaped.contains("\\uDB40\\uDC01"))
        #expect(try JSONDecoder().decode(Record.self, from: Data(escaped.utf8)) == record)
    }
}
