/// Table-driven CRC-32 over bytes, in its two common polynomials.
///
/// `ieee` (zlib's, reflected 0xEDB88320) checks API keys; `castagnoli` (CRC-32C, reflected 0x82F63B78)
/// frames log records, as LevelDB and etcd do.
public struct CRC32: Sendable {
    @usableFromInline let table: [UInt32]

    /// A CRC over the reflected polynomial `polynomial`.
    public init(reflectedPolynomial polynomial: UInt32) {
        var table = [UInt32](repeating: 0, count: 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            table[index] = crc
        }
        self.table = table
    }

    /// CRC-32 as in zlib, PNG and Ethernet.
    public static let ieee = CRC32(reflectedPolynomial: 0xEDB8_8320)
    /// CRC-32C (Castagnoli), as in iSCSI, ext4, LevelDB.
    public static let castagnoli = CRC32(reflectedPolynomial: 0x82F6_3B78)

    /// The checksum of `bytes`, continuing from `previous` (the checksum of what came before, or 0).
    /// Inlinable, so each caller gets a loop specialised for its byte sequence.
    @inlinable
    public func checksum(_ bytes: some Sequence<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }

    /// The checksum of raw memory.
    @inlinable
    public func checksum(_ buffer: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        table.withUnsafeBufferPointer { table in
            for byte in buffer { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }
}
