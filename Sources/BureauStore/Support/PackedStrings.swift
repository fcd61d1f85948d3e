/// The byte layout shared by the packed records (``PackedAPIKey``, ``PackedTask``): each string as its
/// UTF-8 length in a LEB128 varint, then its bytes, one after the other.
enum PackedStrings {
    /// Bytes `string` takes: its length's varint, then its UTF-8.
    static func packedSize(_ string: String) -> Int {
        let count = string.utf8.count
        var value = UInt(count)
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size + count
    }

    /// Writes `string` (varint length, then UTF-8) at `base + offset` and advances `offset` past it.
    static func append(_ string: inout String, to base: UnsafeMutablePointer<UInt8>, at offset: inout Int) {
        string.withUTF8 { utf8 in
            offset += writeVarint(utf8.count, to: base + offset)
            if let source = utf8.baseAddress { (base + offset).initialize(from: source, count: utf8.count) }
            offset += utf8.count
        }
    }

    /// The bytes of the string at `base + offset` (after its varint), and the offset just past it.
    static func string(at base: UnsafeMutablePointer<UInt8>, offset: Int) -> (bytes: UnsafeBufferPointer<UInt8>, end: Int) {
        let (count, width) = readVarint(at: base + offset)
        return (UnsafeBufferPointer(start: base + offset + width, count: count), offset + width + count)
    }

    /// Writes `value` as a LEB128 varint at `pointer`; returns the number of bytes written.
    static func writeVarint(_ value: Int, to pointer: UnsafeMutablePointer<UInt8>) -> Int {
        var value = UInt(value)
        var width = 0
        while value >= 0x80 {
            pointer[width] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            width += 1
        }
        pointer[width] = UInt8(value)
        return width + 1
    }

    /// The varint at `pointer` and its width in bytes.
    static func readVarint(at pointer: UnsafeMutablePointer<UInt8>) -> (value: Int, width: Int) {
        var value: UInt = 0
        var shift: UInt = 0
        var width = 0
        while true {
            let byte = pointer[width]
            value |= UInt(byte & 0x7F) << shift
            width += 1
            if byte < 0x80 { return (Int(value), width) }
            shift += 7
        }
    }
}
