import BureauStore
import NIOCore

/// A small, fast JSON serialiser for the API's own answers (strings escaped per RFC 8259, UTF-8 out).
/// Field order is the order written, so answers read the same every time.
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    /// One bit per open object or array, innermost lowest: whether its next member needs a comma before it.
    /// A bit stack instead of an array: no allocation per answer (nesting deeper than 63 levels is a bug).
    private var commaBits: UInt64 = 0
    /// How many objects and arrays are open.
    private var depth = 0

    init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Writes `{ ... }` with `body` writing the members.
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        open()
        body(&self)
        close()
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// Writes `[ ... ]` with `body` writing the elements.
    mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "["))
        open()
        body(&self)
        close()
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// Writes a member name known at compile time (plain ASCII, nothing to escape); the next value written
    /// is its value.
    mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeInteger(UInt16(0x223A), endianness: .big)  // `":`
        // The value that follows must not be preceded by a comma.
        commaBits &= ~1
    }

    /// Writes a member name built at run time, escaped; the next value written is its value.
    mutating func key(escaping name: String) {
        separate()
        writeEscaped(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        commaBits &= ~1
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

    /// An identifier in its canonical lowercase form, written straight into the buffer.
    mutating func identifier(_ id: some UUIDIdentifier) {
        separate()
        writeQuoted(width: type(of: id).canonicalWidth) { id.writeCanonical(into: $0) }
    }

    /// A timestamp in RFC 3339 with milliseconds, written straight into the buffer.
    mutating func timestamp(_ time: Timestamp) {
        separate()
        writeQuoted(width: Timestamp.rfc3339Width) { time.writeRFC3339(into: $0) }
    }

    /// `"name": "value"` (or `null`).
    mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        string(value)
    }

    /// `"name": 42`.
    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        integer(value)
    }

    /// `"name": "<uuid>"`.
    mutating func field(_ name: StaticString, _ id: some UUIDIdentifier) {
        key(name)
        identifier(id)
    }

    /// `"name": "<uuid>"` or `null`.
    mutating func field<ID: UUIDIdentifier>(_ name: StaticString, _ id: ID?) {
        key(name)
        if let id { identifier(id) } else { null() }
    }

    /// `"name": "2026-11-22T10:00:00.000Z"`.
    mutating func field(_ name: StaticString, _ time: Timestamp) {
        key(name)
        timestamp(time)
    }

    /// `"name": "2026-11-22T10:00:00.000Z"` or `null`.
    mutating func field(_ name: StaticString, _ time: Timestamp?) {
        key(name)
        if let time { timestamp(time) } else { null() }
    }

    private mutating func open() {
        precondition(depth < 63, "JSON nested too deeply")
        depth += 1
        commaBits <<= 1
    }

    private mutating func close() {
        depth -= 1
        commaBits >>= 1
    }

    private mutating func separate() {
        guard depth > 0 else { return }
        if commaBits & 1 == 1 { buffer.writeInteger(UInt8(ascii: ",")) }
        commaBits |= 1
    }

    /// `"` + `width` bytes that `fill` writes + `"`, with one capacity check.
    private mutating func writeQuoted(width: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: width + 2) { raw in
            let out = raw.bindMemory(to: UInt8.self)
            out[0] = UInt8(ascii: "\"")
            fill(UnsafeMutableBufferPointer(rebasing: out[1..<(width + 1)]))
            out[width + 1] = UInt8(ascii: "\"")
            return width + 2
        }
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
