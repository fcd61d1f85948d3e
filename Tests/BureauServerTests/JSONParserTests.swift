import BureauTestSupport
import Foundation
import Testing

@testable import BureauServer

/// The reference the parser is checked against: Foundation's decoder, reaching a ``JSONValue`` the way the
/// server did before it had a parser of its own.
private struct FoundationJSONValue: Decodable {
    var value: JSONValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let bool = try? container.decode(Bool.self) {
            value = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            value = .number(number)
        } else if let string = try? container.decode(String.self) {
            value = .string(string)
        } else if let array = try? container.decode([FoundationJSONValue].self) {
            value = .array(array.map(\.value))
        } else {
            value = .object(try container.decode([String: FoundationJSONValue].self).mapValues(\.value))
        }
    }

    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(FoundationJSONValue.self, from: Data(bytes)).value
    }
}

@Suite("JSON request bodies")
struct JSONParserTests {
    static let accepted: [String] = [
        "{}", "[]", "{\"a\":1}", " \t\r\n{ \"a\" : [ 1 , 2 ] } \n", "true", "false", "null", "0", "-0", "1.5",
        "-12.5e3", "1E+2", "1e-2", "123456789012345678901234567890", "0.1", "2.2250738585072014e-308",
        "1.7976931348623157e308", "5e-324", "\"\"", "\"plain ascii\"", "\"é — 🇫🇷\"",
        "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\"\\u0041\\u00e9\\u20AC\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"",
        "{\"name\":\"x\",\"tags\":[\"a\",\"b\"],\"n\":{\"deep\":[null,true,{}]}}", "[[[[[]]]]]",
        "{\"\":\"empty name\"}", "\"a\\u0301\"", "0e-400", "-0.000e999", "0.0E+5", "4.9e-324",
    ]

    static let refusedByBoth: [String] = [
        "", " ", "{", "}", "[", "]", "{\"a\"}", "{\"a\":}", "[,1]", "{,}", "{\"a\" 1}", "{a:1}",
        "{'a':1}", "01", "-01", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-", "--1", "NaN", "Infinity", "-Infinity",
        "0x10", "tru", "truee", "nul", "nulll", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"tab\tinside\"", "\"new\nline\"", "{} {}", "[1] x", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
        "// comment\n{}", "/* c */{}", "{\"a\":1}/", "1e400", "-1e400", "[1 2]", "1e-400", "-1.5e-907", "0.0001e-400", "[2.5e-999]",
    ]

    @Test("what Foundation accepts, the parser accepts with the same value", arguments: accepted)
    func agreesOnValid(_ text: String) throws {
        let bytes = Array(text.utf8)
        let reference = try #require(FoundationJSONValue.parse(bytes), "Foundation refuses \(text)")
        #expect(try JSONParser.parse(bytes) == reference)
    }

    @Test("what Foundation refuses, the parser refuses", arguments: refusedByBoth)
    func agreesOnInvalid(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(FoundationJSONValue.parse(bytes) == nil, "Foundation accepts \(text)")
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes) }
    }

    @Test("invalid UTF-8 in a string, raw or after an escape, is refused")
    func invalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xC0, 0xAF, 0x22],
            [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D],
        ] {
            #expect(FoundationJSONValue.parse(bytes) == nil)
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes) }
        }
    }

    @Test("stricter than Foundation on purpose: a trailing comma, a name twice, a byte order mark, UTF-16, nesting past the limit")
    func deliberateDifferences() throws {
        for text in ["{\"a\":1,}", "[1,]", "[1, ]", "{\"a\":[1,2,],}"] {
            #expect(FoundationJSONValue.parse(Array(text.utf8)) != nil)
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
        }

        let twice = Array("{\"name\":\"a\",\"name\":\"b\"}".utf8)
        #expect(FoundationJSONValue.parse(twice) != nil)
        #expect(throws: JSONParser.Failure(reason: "the field name \"name\" appears twice", offset: 12)) { try JSONParser.parse(twice) }
        // Escaped differently, still the same name.
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("{\"a\":1,\"\\u0061\":2}".utf8)) }

        let bom: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{}".utf8)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bom) }
        let utf16: [UInt8] = [0xFE, 0xFF, 0x00, 0x7B, 0x00, 0x7D]
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(utf16) }

        let limit = JSONParser.maximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try JSONParser.parse(Array(deepest.utf8)) == FoundationJSONValue.parse(Array(deepest.utf8)))
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(FoundationJSONValue.parse(Array(tooDeep.utf8)) != nil)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(tooDeep.utf8)) }
        let objects = String(repeating: "{\"a\":", count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(objects.utf8)) }
        // A million opening brackets: refused at the limit, never recursing that deep.
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)) }
    }

    @Test("a failure says what and where")
    func failureOffsets() {
        #expect(throws: JSONParser.Failure(reason: "expected ',' or '}'", offset: 7)) { try JSONParser.parse(Array("{\"a\":1 \"b\":2}".utf8)) }
        #expect(throws: JSONParser.Failure(reason: "unexpected data after the value", offset: 3)) { try JSONParser.parse(Array("{} x".utf8)) }
        #expect(throws: JSONParser.Failure(reason: "unescaped control character in a string", offset: 3)) {
            try JSONParser.parse(Array("\"ab\u{1}\"".utf8))
        }
        #expect(throws: JSONParser.Failure(reason: "unpaired surrogate escape", offset: 1)) { try JSONParser.parse(Array("\"\\ud800x\"".utf8)) }
        #expect(throws: JSONParser.Failure(reason: "unexpected end of input", offset: 5)) { try JSONParser.parse(Array("{\"a\":".utf8)) }
    }

    @Test("random documents, with random spacing and escapes, parse as Foundation parses them")
    func randomDocuments() throws {
        var random = SplitMix64(seed: 0xB0_2EA0)
        for _ in 0..<2000 {
            var text = ""
            Self.write(Self.randomValue(&random, depth: 0), to: &text, random: &random)
            let bytes = Array(text.utf8)
            let reference = try #require(FoundationJSONValue.parse(bytes), "Foundation refuses \(text)")
            #expect(try JSONParser.parse(bytes) == reference, "\(text)")
        }
    }

    @Test("mutated documents: whatever the parser accepts, Foundation accepts with the same value")
    func mutatedDocuments() throws {
        var random = SplitMix64(seed: 0x5EED)
        let alphabet = Array("{}[]\",:\\u0aeE+-.9 tfn\u{1}".utf8) + [0xC3, 0xA9, 0xFF]
        var acceptedCount = 0
        for _ in 0..<5000 {
            var text = ""
            Self.write(Self.randomValue(&random, depth: 0), to: &text, random: &random)
            var bytes = Array(text.utf8)
            for _ in 0...Int(random.next() % 3) where !bytes.isEmpty {
                let index = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: index)
                }
            }
            let reference = FoundationJSONValue.parse(bytes)
            do throws(JSONParser.Failure) {
                let parsed = try JSONParser.parse(bytes)
                acceptedCount += 1
                #expect(parsed == reference, "\(String(decoding: bytes, as: UTF8.self))")
            } catch {
                // Refusals Foundation does not share must be the deliberate ones: a name twice, or a trailing
                // comma (without which the parser reads what Foundation read).
                if let reference, !error.reason.contains("appears twice") {
                    #expect(
                        (try? JSONParser.parse(Self.withoutTrailingCommas(bytes))) == reference,
                        "\(error): \(String(decoding: bytes, as: UTF8.self))"
                    )
                }
            }
        }
        #expect(acceptedCount > 500)
    }

    // MARK: Random documents

    /// `bytes` without the commas that only whitespace separates from a closing bracket (outside strings).
    private static func withoutTrailingCommas(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var inString = false
        var escaped = false
        for (index, byte) in bytes.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") {
                let next = bytes[(index + 1)...].first {
                    ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains($0)
                }
                if next == UInt8(ascii: "}") || next == UInt8(ascii: "]") { continue }
            }
            result.append(byte)
        }
        return result
    }

    private static func randomValue(_ random: inout SplitMix64, depth: Int) -> JSONValue {
        switch random.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(random.next() % 2 == 0)
        case 2:
            let choices: [Double] = [0, -1, 42, 3.25, -1.5e-7, 6.02e23, Double(random.next() % 1_000_000) / 7]
            return .number(choices[Int(random.next() % UInt64(choices.count))])
        case 3: return .string(randomString(&random))
        case 4: return .array((0..<Int(random.next() % 4)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int(random.next() % 4) { fields[randomString(&random)] = randomValue(&random, depth: depth + 1) }
            return .object(fields)
        }
    }

    private static func randomString(_ random: inout SplitMix64) -> String {
        let pieces = ["a", "Z", "é", "🇫🇷", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{7F}", " ", "€", "\u{0301}", "😀", "0"]
        return (0..<Int(random.next() % 6)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    private static func write(_ value: JSONValue, to text: inout String, random: inout SplitMix64) {
        func space() {
            let spaces = ["", "", " ", "\n", "\t ", "\r\n"]
            text += spaces[Int(random.next() % UInt64(spaces.count))]
        }
        space()
        switch value {
        case .null: text += "null"
        case .bool(let bool): text += bool ? "true" : "false"
        case .number(let number): text += random.next() % 2 == 0 ? "\(number)" : String(format: "%.17g", number)
        case .string(let string): writeString(string, to: &text, random: &random)
        case .array(let elements):
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                write(element, to: &text, random: &random)
            }
            space()
            text += "]"
        case .object(let fields):
            text += "{"
            // In key order: a dictionary's own order changes from one process to the next, and the documents
            // must be the same on every run for a failure to be found again from its seed.
            for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { text += "," }
                space()
                writeString(field.key, to: &text, random: &random)
                space()
                text += ":"
                write(field.value, to: &text, random: &random)
            }
            space()
            text += "}"
        }
        space()
    }

    private static func writeString(_ string: String, to text: inout String, random: inout SplitMix64) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += random.next() % 2 == 0 ? "\\n" : "\\u000a"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20: text += String(format: "\\u%04x", scalar.value)
            case _ where random.next() % 4 == 0:
                // The same character written as escapes (a surrogate pair above the basic plane).
                for unit in String(scalar).utf16 { text += String(format: random.next() % 2 == 0 ? "\\u%04x" : "\\u%04X", unit) }
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
