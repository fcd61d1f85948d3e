import BureauStore

/// The uncompressed header of a snapshot file, little-endian. Formats 2 and 3 (3 written now) are 104 bytes:
///
/// ```
///  0 magic "BUREAUSN"        8 format version (u16)    10 header size (u16)     12 flags (u32, 0)
/// 16 sequence (u64)         24 created at (i64, ms)
/// 32 users  40 api keys  48 desktops  56 tasks  64 idempotency records  72 sessions (u64 each)
/// 80 body size (u64)        88 compressed body size (u64)
/// 96 CRC-32C of the compressed body (u32)           100 CRC-32C of bytes 0..<100 (u32)
/// ```
/// Format 1 (written before sessions existed, still read) is the same without the sessions count:
/// 96 bytes, its sizes and checksums 8 bytes earlier; its body holds no sessions. Format 3 has format 2's
/// header; its body's events may refer to the tasks and desktops it stores (see ``StateCodec``), which a
/// format 2 reader would not understand.
/// The zlib-compressed body (``StateCodec``) follows; the file is exactly header plus body.
public struct SnapshotHeader: Sendable, Hashable, Codable {
    /// The magic bytes.
    public static let magic: [UInt8] = Array("BUREAUSN".utf8)
    /// The format this version writes.
    public static let currentVersion: UInt16 = 3
    /// The formats this version reads.
    public static let readableVersions: ClosedRange<UInt16> = 1...3

    /// Bytes in a header of `version` (format 1: 96; formats 2 and 3: 104).
    public static func size(of version: UInt16) -> Int { version >= 2 ? 104 : 96 }

    /// Bytes in this header: where the body starts.
    public var size: Int { Self.size(of: version) }

    /// The format version.
    public var version: UInt16
    /// Sequence of the last mutation the snapshot includes.
    public var sequence: UInt64
    /// When it was written.
    public var createdAt: Timestamp
    /// Records of each kind.
    public var counts: RecordCounts
    /// Bytes of the body before compression.
    public var bodySize: UInt64
    /// Bytes of the compressed body.
    public var compressedSize: UInt64
    /// CRC-32C of the compressed body.
    public var bodyChecksum: UInt32

    /// A header of the current version.
    public init(
        sequence: UInt64,
        createdAt: Timestamp,
        counts: RecordCounts,
        bodySize: UInt64,
        compressedSize: UInt64,
        bodyChecksum: UInt32,
        version: UInt16 = SnapshotHeader.currentVersion
    ) {
        self.version = version
        self.sequence = sequence
        self.createdAt = createdAt
        self.counts = counts
        self.bodySize = bodySize
        self.compressedSize = compressedSize
        self.bodyChecksum = bodyChecksum
    }

    /// The header's bytes in its version's layout, checksum included (a format 1 header has no room for
    /// a sessions count: it is only written by tests of older files).
    public var bytes: [UInt8] {
        var w = BinaryWriter(capacity: size)
        w.writeRaw(Self.magic)
        w.write(version)
        w.write(UInt16(size))
        w.write(UInt32(0))
        w.write(sequence)
        w.write(UInt64(bitPattern: createdAt.millisecondsSinceEpoch))
        for count in [counts.users, counts.apiKeys, counts.desktops, counts.tasks, counts.idempotencyRecords] { w.write(count) }
        if version >= 2 { w.write(counts.sessions) }
        w.write(bodySize)
        w.write(compressedSize)
        w.write(bodyChecksum)
        w.write(CRC32.castagnoli.checksum(w.bytes))
        return w.bytes
    }

    /// Why a file's first bytes are not a usable snapshot header.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case tooShort(Int)
        case badMagic
        case unknownVersion(UInt16)
        case checksumMismatch
        case malformed(String)

        public var description: String {
            switch self {
            case .tooShort(let count): "only \(count) bytes, a snapshot header needs \(SnapshotHeader.size(of: 1)) or more"
            case .badMagic: "not a snapshot (bad magic)"
            case .unknownVersion(let version): "unknown snapshot format version \(version) (written by a newer version?)"
            case .checksumMismatch: "header checksum mismatch"
            case .malformed(let reason): reason
            }
        }
    }

    /// Parses the header at the start of `bytes`. The version is checked before the checksum, so a file
    /// of a later format is reported as such; a sequence or creation time outside ``StoredLimits`` is
    /// malformed, even under a valid checksum.
    public static func parse(_ bytes: [UInt8]) -> Result<SnapshotHeader, Problem> {
        guard bytes.count >= magic.count, bytes[0..<magic.count].elementsEqual(magic) else {
            return .failure(bytes.count < magic.count ? .tooShort(bytes.count) : .badMagic)
        }
        guard bytes.count >= 10 else { return .failure(.tooShort(bytes.count)) }
        let version = UInt16(bytes[8]) | UInt16(bytes[9]) << 8
        guard readableVersions.contains(version) else { return .failure(.unknownVersion(version)) }
        let size = Self.size(of: version)
        guard bytes.count >= size else { return .failure(.tooShort(bytes.count)) }
        var r = BinaryReader(bytes, range: 10..<size)
        do throws(CodecError) {
            let headerSize = try r.readUInt16()
            let flags = try r.readUInt32()
            let sequence = try r.readUInt64()
            let createdAtMilliseconds = Int64(bitPattern: try r.readUInt64())
            let counts = RecordCounts(
                users: try r.readUInt64(),
                apiKeys: try r.readUInt64(),
                desktops: try r.readUInt64(),
                tasks: try r.readUInt64(),
                idempotencyRecords: try r.readUInt64(),
                sessions: version >= 2 ? try r.readUInt64() : 0
            )
            let bodySize = try r.readUInt64()
            let compressedSize = try r.readUInt64()
            let bodyChecksum = try r.readUInt32()
            let stored = try r.readUInt32()
            guard CRC32.castagnoli.checksum(bytes[0..<(size - 4)]) == stored else { return .failure(.checksumMismatch) }
            guard headerSize == size else { return .failure(.malformed("header size \(headerSize), expected \(size)")) }
            guard flags == 0 else { return .failure(.malformed("unknown flags \(flags)")) }
            if let problem = StoredLimits.problem(sequence: sequence) { return .failure(.malformed("header \(problem)")) }
            guard let createdAt = Timestamp(validMillisecondsSinceEpoch: createdAtMilliseconds) else {
                return .failure(.malformed("header creation \(StoredLimits.problem(time: createdAtMilliseconds) ?? "time out of range")"))
            }
            return .success(
                SnapshotHeader(
                    sequence: sequence,
                    createdAt: createdAt,
                    counts: counts,
                    bodySize: bodySize,
                    compressedSize: compressedSize,
                    bodyChecksum: bodyChecksum,
                    version: version
                )
            )
        } catch {
            return .failure(.tooShort(bytes.count))
        }
    }
}
