import Foundation

/// Appends values to a byte buffer in the persistence encoding: fixed-width integers little-endian,
/// LEB128 varints, length-prefixed UTF-8 strings, raw 16-byte UUIDs.
///
/// A struct is written as its fields prefixed by their total byte length (``structure(_:)``), so a
/// later version can append fields that older readers skip.
public struct BinaryWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes one byte.
    public mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    /// Writes a 16-bit integer, little-endian.
    public mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    /// Writes a 32-bit integer, little-endian.
    public mutating func write(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Writes a 64-bit integer, little-endian.
    public mutating func write(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Writes an unsigned LEB128 varint (1 to 10 bytes).
    public mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Writes a signed integer as a zigzag varint (small magnitudes stay short).
    public mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Writes `true` as 1 and `false` as 0.
    public mutating func write(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// Writes a string as its UTF-8 byte count (varint) and bytes.
    public mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Writes the 16 bytes of a UUID.
    public mutating func write(_ value: UUID) {
        withUnsafeBytes(of: value.uuid) { bytes.append(contentsOf: $0) }
    }

    /// Writes raw bytes with no length.
    public mutating func writeRaw(_ value: some Sequence<UInt8>) {
        bytes.append(contentsOf: value)
    }

    /// Writes a presence byte (0 or 1), then the value through `body` when there is one.
    public mutating func writeOptional<Value>(_ value: Value?, _ body: (inout BinaryWriter, Value) -> Void) {
        if let value {
            bytes.append(1)
            body(&self, value)
        } else {
            bytes.append(0)
        }
    }

    /// Writes a struct: the fields `body` writes, prefixed by their byte length as a varint.
    public mutating func structure(_ body: (inout BinaryWriter) -> Void) {
        let start = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - start - 1
        if length < 0x80 {
            bytes[start] = UInt8(length)
            return
        }
        var prefix = BinaryWriter(capacity: 10)
        prefix.writeVarint(UInt64(length))
        bytes.replaceSubrange(start..<(start + 1), with: prefix.bytes)
    }

    /// Overwrites 8 bytes at `offset` (already written) with `value`, little-endian.
    public mutating func patch(_ value: UInt64, at offset: Int) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(index * 8)) }
    }
}

extension BinaryWriter {
    /// Forgets the bytes written so far, keeping the buffer's capacity (a writer reused piece by piece).
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }
}
