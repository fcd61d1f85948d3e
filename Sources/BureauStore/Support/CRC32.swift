/// Table-driven CRC-32 over bytes, in its two common polynomials.
///
/// `ieee` (zlib's, reflected 0xEDB88320) checks API keys; `castagnoli` (CRC-32C, reflected 0x82F63B78)
/// frames log records, as LevelDB and etcd do. Raw memory is processed eight bytes at a time
/// ("slicing-by-8": eight tables, one lookup per byte but no dependency between a word's lookups), which
/// is several times faster than one byte at a time on every request's key and every log record.
public struct CRC32: Sendable {
    /// Eight tables of 256 entries, one after another: table 0 is the classic byte-at-a-time table; table
    /// `k` advances a byte's contribution by `k` further bytes.
    @usableFromInline let tables: [UInt32]

    /// A CRC over the reflected polynomial `polynomial`.
    public init(reflectedPolynomial polynomial: UInt32) {
        var tables = [UInt32](repeating: 0, count: 256 * 8)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[index] = crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        self.tables = tables
    }

    /// CRC-32 as in zlib, PNG and Ethernet.
    public static let ieee = CRC32(reflectedPolynomial: 0xEDB8_8320)
    /// CRC-32C (Castagnoli), as in iSCSI, ext4, LevelDB.
    public static let castagnoli = CRC32(reflectedPolynomial: 0x82F6_3B78)

    /// The checksum of `bytes`, continuing from `previous` (the checksum of what came before, or 0).
    /// Inlinable, so each caller gets a loop specialised for its byte sequence.
    @inlinable
    public func checksum(_ bytes: some Sequence<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: previous) }) {
            return result
        }
        var crc = ~previous
        tables.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }

    /// The checksum of raw memory.
    @inlinable
    public func checksum(_ buffer: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        tables.withUnsafeBufferPointer { table in
            var offset = 0
            let count = buffer.count
            while count - offset >= 8 {
                let low = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc =
                    table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = table[Int((crc ^ UInt32(buffer[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        return ~crc
    }
}
