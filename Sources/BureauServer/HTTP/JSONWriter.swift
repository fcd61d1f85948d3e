import BureauStore
import NIOCore

/// A small, fast JSON serialiser for the API's own answers (strings escaped per RFC 8259, UTF-8 out).
/// Field order is the order written, so answers read the same every time.
struct JSONWriter {
    /// The bytes written are `storage[0..<count]`; the rest is room to write into. An array of our own (its
    /// length is capacity, `count` is ours) rather than a `ByteBuffer`: each write here is a capacity check and
    /// a copy, where each `ByteBuffer` write also pays a uniqueness and a run-time exclusivity check on its
    /// storage object, and an answer is a few dozen small writes.
    private var storage: [UInt8]
    private var count = 0
    /// One bit per open object or array, innermost lowest: whether its next member needs a comma before it.
    /// A bit stack instead of an array: no allocation per answer (nesting deeper than 63 levels is a bug).
    private var commaBits: UInt64 = 0
    /// How many objects and arrays are open.
    private var depth = 0

    init(capacity: Int = 256) {
        storage = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// What was written, in a buffer of its own (one copy, at the end).
    var buffer: ByteBuffer {
        storage.withUnsafeBufferPointer { ByteBuffer(bytes: UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Writes `{ ... }` with `body` writing the members.
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        write(UInt8(ascii: "{"))
        open()
        body(&self)
        close()
        write(UInt8(ascii: "}"))
    }

    /// Writes `[ ... ]` with `body` writing the elements.
    mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        write(UInt8(ascii: "["))
        open()
        body(&self)
        close()
        write(UInt8(ascii: "]"))
    }

    /// Writes a member name known at compile time (plain ASCII, nothing to escape); the next value written
    /// is its value.
    mutating func key(_ name: StaticString) {
        // `,"name":` in one write: this runs for every member of every answer.
        let comma = depth > 0 && commaBits & 1 == 1 ? 1 : 0
        let length = name.utf8CodeUnitCount
        reserve(comma + length + 3) { out in
            if comma == 1 { out[0] = UInt8(ascii: ",") }
            out[comma] = UInt8(ascii: "\"")
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[(comma + 1)...])
                .copyMemory(from: UnsafeRawBufferPointer(start: name.utf8Start, count: length))
            out[comma + 1 + length] = UInt8(ascii: "\"")
            out[comma + 2 + length] = UInt8(ascii: ":")
        }
        // The value that follows must not be preceded by a comma.
        commaBits &= ~1
    }

    /// Writes a member name built at run time, escaped; the next value written is its value.
    mutating func key(escaping name: String) {
        separate()
        writeEscaped(name)
        write(UInt8(ascii: ":"))
        commaBits &= ~1
    }

    mutating func string(_ value: String) {
        separate()
        writeEscaped(value)
    }

    /// A string given as its UTF-8 bytes (valid UTF-8, as a Swift string's are).
    mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        separate()
        writeEscaped(bytes)
    }

    /// A string, or `null`.
    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func integer(_ value: Int) {
        separate()
        var text = String(value)
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    mutating func boolean(_ value: Bool) {
        separate()
        write(value ? "true" : "false")
    }

    mutating func null() {
        separate()
        write("null")
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

    /// `"name": true|false`.
    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        boolean(value)
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
        if commaBits & 1 == 1 { write(UInt8(ascii: ",")) }
        commaBits |= 1
    }

    /// `"` + `width` bytes that `fill` writes + `"`, with one capacity check.
    private mutating func writeQuoted(width: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        reserve(width + 2) { out in
            out[0] = UInt8(ascii: "\"")
            fill(UnsafeMutableBufferPointer(rebasing: out[1..<(width + 1)]))
            out[width + 1] = UInt8(ascii: "\"")
        }
    }

    /// Appends exactly `length` bytes that `fill` writes, with one capacity check.
    private mutating func reserve(_ length: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        if storage.count - count < length { grow(toFit: length) }
        let start = count
        storage.withUnsafeMutableBufferPointer { fill(UnsafeMutableBufferPointer(rebasing: $0[start..<(start + length)])) }
        count += length
    }

    private mutating func write(_ byte: UInt8) {
        if count == storage.count { grow(toFit: 1) }
        storage[count] = byte
        count += 1
    }

    private mutating func write(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count) { UnsafeMutableRawBufferPointer($0).copyMemory(from: bytes) }
    }

    private mutating func write(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Makes room for `length` more bytes, at least doubling the room.
    private mutating func grow(toFit length: Int) {
        storage.append(contentsOf: repeatElement(0, count: max(storage.count, count + length - storage.count)))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private mutating func writeEscaped(_ value: String) {
        var value = value
        value.withUTF8 { writeEscaped($0) }
    }

    private mutating func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        if !bytes.contains(where: Self.needsEscape) {
            // The common case, nothing to escape: quotes and bytes in one write.
            reserve(bytes.count + 2) { out in
                out[0] = UInt8(ascii: "\"")
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[1...])
                    .copyMemory(from: UnsafeRawBufferPointer(bytes))
                out[bytes.count + 1] = UInt8(ascii: "\"")
            }
        } else {
            writeEscaping(bytes)
        }
    }

    private mutating func writeEscaping(_ bytes: UnsafeBufferPointer<UInt8>) {
        write(UInt8(ascii: "\""))
        var start = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard Self.needsEscape(byte) else { continue }
            if start < index { write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index])) }
            switch byte {
            case UInt8(ascii: "\""): write("\\\"")
            case UInt8(ascii: "\\"): write("\\\\")
            case 0x0A: write("\\n")
            case 0x0D: write("\\r")
            case 0x09: write("\\t")
            case 0x08: write("\\b")
            case 0x0C: write("\\f")
            default:
                write("\\u00")
                write(Self.hex[Int(byte >> 4)])
                write(Self.hex[Int(byte & 0x0F)])
            }
            start = index + 1
        }
        if start < bytes.count { write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<bytes.count])) }
        write(UInt8(ascii: "\""))
    }
}

/// A value the API answers with, serialised by ``JSONWriter``.
protocol JSONRepresentable {
    func write(to writer: inout JSONWriter)
}
