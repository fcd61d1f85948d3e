import BureauStore

/// The framing of one log record (format 1), after LevelDB's and etcd's:
///
/// ```
/// length (u32 LE, payload bytes) · CRC-32C (u32 LE, of sequence · type · payload) · sequence (u64 LE) · type (u8) · payload
/// ```
public enum RecordFrame {
    /// Bytes before the payload.
    public static let headerSize = 17
    /// The largest payload accepted; a longer length field is damage, not a record.
    public static let maximumPayloadSize = 64 << 20

    /// The framed bytes of a record.
    public static func encode(sequence: UInt64, type: UInt8, payload: [UInt8]) -> [UInt8] {
        var w = BinaryWriter(capacity: headerSize + payload.count)
        w.write(UInt32(payload.count))
        w.write(UInt32(0))
        w.write(sequence)
        w.write(type)
        w.writeRaw(payload)
        var bytes = w.bytes
        let crc = bytes.withUnsafeBytes { CRC32.castagnoli.checksum(UnsafeRawBufferPointer(rebasing: $0[8...])) }
        for index in 0..<4 { bytes[4 + index] = UInt8(truncatingIfNeeded: crc >> UInt32(index * 8)) }
        return bytes
    }

    /// The framed bytes of `mutation` numbered `sequence`.
    public static func encode(_ mutation: Mutation, sequence: UInt64) -> [UInt8] {
        let (type, payload) = MutationCodec.encode(mutation)
        return encode(sequence: sequence, type: type, payload: payload)
    }

    /// A record read from bytes.
    public struct Record: Sendable, Hashable {
        /// Where the record starts in its segment.
        public var offset: Int
        /// The record's sequence.
        public var sequence: UInt64
        /// The record type (``MutationCodec/RecordType``).
        public var type: UInt8
        /// Where the payload lies in the bytes it was read from.
        public var payload: Range<Int>
        /// The offset just past the record.
        public var end: Int { payload.upperBound }
    }

    /// Why bytes at an offset are not a record.
    public enum Damage: Error, Sendable, Hashable, CustomStringConvertible {
        /// Fewer bytes than a record header.
        case shortHeader(available: Int)
        /// The length field is larger than the maximum or runs past the end of the file.
        case lengthOutOfRange(UInt32)
        /// The checksum does not match.
        case checksumMismatch

        public var description: String {
            switch self {
            case .shortHeader(let available): "only \(available) bytes where a record header needs \(headerSize)"
            case .lengthOutOfRange(let length): "length \(length) runs past the end of the file"
            case .checksumMismatch: "checksum mismatch"
            }
        }
    }

    /// Reads the record at `offset` of `bytes`, which must end before `end`.
    public static func read(_ bytes: [UInt8], at offset: Int, end: Int) -> Result<Record, Damage> {
        guard end - offset >= headerSize else { return .failure(.shortHeader(available: end - offset)) }
        return bytes.withUnsafeBytes { raw in
            let length = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
            guard Int(length) <= maximumPayloadSize, Int(length) <= end - offset - headerSize else {
                return .failure(.lengthOutOfRange(length))
            }
            let stored = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian
            let payloadStart = offset + headerSize
            let covered = UnsafeRawBufferPointer(rebasing: raw[(offset + 8)..<(payloadStart + Int(length))])
            guard CRC32.castagnoli.checksum(covered) == stored else { return .failure(.checksumMismatch) }
            return .success(
                Record(
                    offset: offset,
                    sequence: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).littleEndian,
                    type: raw[offset + 16],
                    payload: payloadStart..<(payloadStart + Int(length))
                )
            )
        }
    }
}
