import Foundation

/// Reads values written by ``BinaryWriter``. Every length is checked against the bytes left before
/// anything is allocated, so hostile input makes it throw ``CodecError``, never trap or over-allocate.
public struct BinaryReader: Sendable {
    private let bytes: [UInt8]
    /// The offset of the next byte to read, from the start of `bytes`.
    public private(set) var position: Int
    /// One past the last byte this reader may read (the end of the current struct).
    public private(set) var end: Int

    /// A reader over `range` of `bytes`.
    public init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        let range = range ?? 0..<bytes.count
        position = range.lowerBound
        end = range.upperBound
    }

    /// Bytes left before the end of the current struct.
    public var remaining: Int { end - position }

    /// `true` when the current struct has no more bytes (a field added by a later version is absent).
    public var isAtEnd: Bool { position >= end }

    private func require(_ count: Int) throws(CodecError) {
        guard count >= 0, count <= end - position else {
            throw .truncated(offset: position, needed: count, available: end - position)
        }
    }

    /// Reads one byte.
    public mutating func readByte() throws(CodecError) -> UInt8 {
        try require(1)
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads a little-endian integer of `width` bytes.
    private mutating func readFixed(width: Int) throws(CodecError) -> UInt64 {
        try require(width)
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(bytes[position + index]) << UInt64(index * 8) }
        position += width
        return value
    }

    /// Reads a little-endian 16-bit integer.
    public mutating func readUInt16() throws(CodecError) -> UInt16 { UInt16(try readFixed(width: 2)) }
    /// Reads a little-endian 32-bit integer.
    public mutating func readUInt32() throws(CodecError) -> UInt32 { UInt32(try readFixed(width: 4)) }
    /// Reads a little-endian 64-bit integer.
    public mutating func readUInt64() throws(CodecError) -> UInt64 { try readFixed(width: 8) }

    /// Reads an unsigned LEB128 varint; more than 10 bytes or a value past 64 bits is invalid.
    public mutating func readVarint() throws(CodecError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            if shift == 63, byte > 1 { throw .invalid(offset: start, reason: "varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw .invalid(offset: start, reason: "varint longer than 10 bytes") }
        }
    }

    /// Reads a zigzag varint.
    public mutating func readSignedVarint() throws(CodecError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// Reads a varint that counts things each taking at least `minimumSize` bytes: it cannot exceed the
    /// bytes left, which bounds any allocation made from it.
    public mutating func readCount(minimumSize: Int = 1) throws(CodecError) -> Int {
        let start = position
        let raw = try readVarint()
        guard raw <= UInt64(remaining / max(minimumSize, 1)) else {
            throw .invalid(offset: start, reason: "count \(raw) exceeds the \(remaining) bytes left")
        }
        return Int(raw)
    }

    /// Reads a byte that must be 0 or 1.
    public mutating func readBool() throws(CodecError) -> Bool {
        let start = position
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let other: throw .invalid(offset: start, reason: "boolean byte \(other)")
        }
    }

    /// Reads a length-prefixed UTF-8 string; invalid UTF-8 is refused, not repaired.
    public mutating func readString() throws(CodecError) -> String {
        let count = try readCount()
        let start = position
        guard let string = String(validating: bytes[start..<(start + count)], as: UTF8.self) else {
            throw .invalid(offset: start, reason: "string is not valid UTF-8")
        }
        position += count
        return string
    }

    /// Reads 16 bytes as a UUID.
    public mutating func readUUID() throws(CodecError) -> UUID {
        try require(16)
        let b = bytes
        let p = position
        position += 16
        return UUID(
            uuid: (
                b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7],
                b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12], b[p + 13], b[p + 14], b[p + 15]
            )
        )
    }

    /// Reads `count` raw bytes.
    public mutating func readRaw(_ count: Int) throws(CodecError) -> ArraySlice<UInt8> {
        try require(count)
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// Skips `count` bytes.
    public mutating func skip(_ count: Int) throws(CodecError) {
        try require(count)
        position += count
    }

    /// Reads a presence byte, then the value through `body` when it says there is one.
    public mutating func readOptional<Value>(_ body: (inout BinaryReader) throws(CodecError) -> Value) throws(CodecError) -> Value? {
        try readBool() ? try body(&self) : nil
    }

    /// Reads a struct written by ``BinaryWriter/structure(_:)``: `body` reads the fields it knows, and
    /// whatever follows them inside the struct (fields of a later version) is skipped.
    public mutating func structure<Value>(_ body: (inout BinaryReader) throws(CodecError) -> Value) throws(CodecError) -> Value {
        let length = try readCount()
        let outerEnd = end
        end = position + length
        let value = try body(&self)
        position = end
        end = outerEnd
        return value
    }
}
