import NIOCore

/// A small, fast JSON serialiser for the API's own answers (strings escaped per RFC 8259, UTF-8 out).
/// Field order is the order written, so answers read the same every time.
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    /// One flag per open object or array: whether the next member needs a comma before it.
    private var needsComma: [Bool] = []

    init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Writes `{ ... }` with `body` writing the members.
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// Writes `[ ... ]` with `body` writing the elements.
    mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// Writes a member name; the next value written is its value.
    mutating func key(_ name: String) {
        separate()
        writeEscaped(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        // The value that follows must not be preceded by a comma.
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ value: String) {
        separate()
        writeEscaped(value)
    }

    /// A string, or `null`.
    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func integer(_ value: Int) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("null")
    }

    /// `"name": "value"` (or `null`).
    mutating func field(_ name: String, _ value: String?) {
        key(name)
        string(value)
    }

    /// `"name": 42`.
    mutating func field(_ name: String, _ value: Int) {
        key(name)
        integer(value)
    }

    private mutating func separate() {
        guard let last = needsComma.last else { return }
        if last { buffer.writeInteger(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeEscaped(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if start < index { buffer.writeBytes(bytes[start..<index]) }
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                default:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(Self.hex[Int(byte >> 4)])
                    buffer.writeInteger(Self.hex[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            if start < bytes.count { buffer.writeBytes(bytes[start..<bytes.count]) }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

/// A value the API answers with, serialised by ``JSONWriter``.
protocol JSONRepresentable {
    func write(to writer: inout JSONWriter)
}
