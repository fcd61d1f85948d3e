import BureauStore

/// Parses request bodies into ``JSONValue``: strict RFC 8259 over UTF-8 bytes, in one pass.
///
/// Foundation's `JSONDecoder` reached a ``JSONValue`` by trying each type in turn and throwing a described
/// error for every miss (ten for a three-field object): a tenth of a task creation's CPU. This reads each
/// value once, by its first byte. It is stricter where a decoder's leniency would let two readers of one
/// body disagree: a name twice in one object is refused (a proxy that keeps the first and a server that keeps
/// the last would judge different requests), as are invalid UTF-8, unpaired surrogate escapes, unescaped
/// control characters, numbers outside `Double`'s range, any encoding but UTF-8 (a byte order mark
/// included), and nesting deeper than ``maximumDepth``, which also bounds the parser's stack.
struct JSONParser: ~Copyable {
    /// Why a body is not acceptable JSON, and where (a byte offset), for the 400's detail.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var reason: String
        var offset: Int
        var description: String { "\(reason) at byte \(offset)" }
    }

    /// The deepest nesting of arrays and objects accepted (request bodies here are one or two levels deep).
    static let maximumDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The one JSON value `bytes` hold, with nothing but whitespace around it.
    static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            do throws(Failure) {
                return .success(try parser.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private mutating func document() throws(Failure) -> JSONValue {
        skipWhitespace()
        let value = try self.value()
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected data after the value") }
        return value
    }

    private func fail(_ reason: String) -> Failure {
        Failure(reason: reason, offset: position)
    }

    private var current: UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
            default: return
            }
        }
    }

    private mutating func value() throws(Failure) -> JSONValue {
        guard let byte = current else { throw fail("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw fail("unexpected end of input") }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for index in 0..<count where bytes[position + index] != expected[index] {
            throw fail("unexpected character")
        }
        position += count
    }

    private mutating func enterContainer() throws(Failure) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw fail("nested more than \(Self.maximumDepth) levels deep") }
        position += 1
        skipWhitespace()
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try enterContainer()
        var fields: [String: JSONValue] = [:]
        if current == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(fields)
        }
        while true {
            guard current == UInt8(ascii: "\"") else { throw fail(current == nil ? "unexpected end of input" : "expected a field name") }
            let nameOffset = position
            let name = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            skipWhitespace()
            let value = try self.value()
            guard fields.updateValue(value, forKey: name) == nil else {
                let shown = name.count > 64 ? name.prefix(64) + "…" : Substring(name)
                throw Failure(reason: "the field name \"\(shown)\" appears twice", offset: nameOffset)
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(fields)
            case nil: throw fail("unexpected end of input")
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try enterContainer()
        var elements: [JSONValue] = []
        if current == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(elements)
            case nil: throw fail("unexpected end of input")
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    /// A string starting at the opening quote. The common case, no escapes, is one scan and one validation.
    private mutating func string() throws(Failure) -> String {
        position += 1
        let start = position
        var ascii = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                if ascii { return String(decoding: raw, as: UTF8.self) }
                guard let text = String(validating: raw, as: UTF8.self) else {
                    position = start
                    throw fail("the string is not valid UTF-8")
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if byte < 0x20 { throw fail("unescaped control character in a string") }
            if byte >= 0x80 { ascii = false }
            position += 1
        }
        throw fail("unterminated string")
    }

    /// The rest of a string that has escapes, its text so far starting at `start`.
    private mutating func escapedString(from start: Int) throws(Failure) -> String {
        var text: [UInt8] = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let string = String(validating: text, as: UTF8.self) else {
                    position = start
                    throw fail("the string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = current else { throw fail("unterminated string") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(to: &text)
                default:
                    position -= 1
                    throw fail("unknown escape")
                }
            case 0..<0x20:
                throw fail("unescaped control character in a string")
            default:
                text.append(byte)
                position += 1
            }
        }
        throw fail("unterminated string")
    }

    /// After `\u`: four hex digits, or a surrogate pair written as two escapes; appended as UTF-8.
    private mutating func appendUnicodeEscape(to text: inout [UInt8]) throws(Failure) {
        let escapeStart = position - 2
        let first = try hexQuad()
        var scalarValue = UInt32(first)
        if (0xD800...0xDBFF).contains(first) {
            guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                position = escapeStart
                throw fail("unpaired surrogate escape")
            }
            position += 2
            let second = try hexQuad()
            guard (0xDC00...0xDFFF).contains(second) else {
                position = escapeStart
                throw fail("unpaired surrogate escape")
            }
            scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(first) {
            position = escapeStart
            throw fail("unpaired surrogate escape")
        }
        guard let scalar = Unicode.Scalar(scalarValue) else {
            position = escapeStart
            throw fail("invalid escape")
        }
        text.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func hexQuad() throws(Failure) -> UInt16 {
        guard bytes.count - position >= 4 else { throw fail("unterminated escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let digit = HexDigit.value(bytes[position]) else { throw fail("invalid escape") }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// A number by JSON's grammar (no `+`, no leading zeros, no bare `.`, no `Infinity` or `NaN`), which
    /// must be finite as a `Double`, and not zero unless written as zero.
    private mutating func number() throws(Failure) -> Double {
        let start = position
        // Whether the digits before the exponent are other than zeros: such a number that a double rounds to
        // zero (`1e-400`) is out of range, as one that it rounds to infinity is.
        var nonZero = false
        if current == UInt8(ascii: "-") { position += 1 }
        switch current ?? 0 {
        case UInt8(ascii: "0"):
            position += 1
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            nonZero = true
            skipDigits()
        default:
            throw fail("invalid number")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard current.map(Self.isDigit) == true else { throw fail("invalid number") }
            let fraction = position
            skipDigits()
            if bytes[fraction..<position].contains(where: { $0 != UInt8(ascii: "0") }) { nonZero = true }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard current.map(Self.isDigit) == true else { throw fail("invalid number") }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite, value != 0 || !nonZero else {
            position = start
            throw fail("the number is out of range")
        }
        return value
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while let byte = current, Self.isDigit(byte) { position += 1 }
    }
}
