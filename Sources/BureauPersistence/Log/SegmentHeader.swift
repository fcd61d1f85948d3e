import BureauStore

/// The 20-byte header at the start of every log segment (format 1):
/// `magic "BLOG" · version (u16 LE) · reserved (u16) · first sequence (u64 LE) · CRC-32C of the 16 bytes before (u32 LE)`.
public struct SegmentHeader: Sendable, Hashable {
    /// The magic bytes.
    public static let magic: [UInt8] = Array("BLOG".utf8)
    /// The segment format this version writes and reads.
    public static let currentVersion: UInt16 = 1
    /// Bytes in the header.
    public static let size = 20

    /// The sequence of the segment's first record (its name carries it too).
    public var firstSequence: UInt64
    /// The format version.
    public var version: UInt16

    /// A header of the current version.
    public init(firstSequence: UInt64, version: UInt16 = SegmentHeader.currentVersion) {
        self.firstSequence = firstSequence
        self.version = version
    }

    /// The header's bytes.
    public var bytes: [UInt8] {
        var w = BinaryWriter(capacity: Self.size)
        w.writeRaw(Self.magic)
        w.write(version)
        w.write(UInt16(0))
        w.write(firstSequence)
        w.write(CRC32.castagnoli.checksum(w.bytes))
        return w.bytes
    }

    /// Why a segment's first bytes are not a header this version can use.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case tooShort(Int)
        case badMagic
        case checksumMismatch
        case unknownVersion(UInt16)

        public var description: String {
            switch self {
            case .tooShort(let count): "only \(count) bytes where the segment header needs \(SegmentHeader.size)"
            case .badMagic: "not a log segment (bad magic)"
            case .checksumMismatch: "segment header checksum mismatch"
            case .unknownVersion(let version): "unknown segment format version \(version) (written by a newer version?)"
            }
        }
    }

    /// Parses the header at the start of `bytes`.
    public static func parse(_ bytes: [UInt8]) -> Result<SegmentHeader, Problem> {
        guard bytes.count >= size else { return .failure(.tooShort(bytes.count)) }
        guard bytes[0..<4].elementsEqual(magic) else { return .failure(.badMagic) }
        var r = BinaryReader(bytes, range: 4..<size)
        do throws(CodecError) {
            let version = try r.readUInt16()
            _ = try r.readUInt16()
            let first = try r.readUInt64()
            let stored = try r.readUInt32()
            guard CRC32.castagnoli.checksum(bytes[0..<16]) == stored else { return .failure(.checksumMismatch) }
            guard version == currentVersion else { return .failure(.unknownVersion(version)) }
            return .success(SegmentHeader(firstSequence: first, version: version))
        } catch {
            return .failure(.tooShort(bytes.count))
        }
    }
}
