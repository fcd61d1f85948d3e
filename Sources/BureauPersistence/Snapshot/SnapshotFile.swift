import BureauStore

/// Encodes a state as a snapshot file (header, then zlib-compressed body) and decodes one, checking
/// everything: magic, version, both checksums, sizes, the counts against the records, and the records
/// against each other.
public enum SnapshotFile {
    /// The zlib level snapshots are written at: 1, the fastest, as Redis favours speed for RDB.
    public static let defaultCompressionLevel: Int32 = 1

    /// The bytes of a snapshot of `state`, and its header.
    public static func encode(
        _ state: StoreState,
        createdAt: Timestamp,
        compressionLevel: Int32 = defaultCompressionLevel
    ) throws(StorageError) -> (header: SnapshotHeader, bytes: [UInt8]) {
        try encode(StateRecords(state), createdAt: createdAt, compressionLevel: compressionLevel)
    }

    /// The bytes of a snapshot of `records`, and its header.
    public static func encode(
        _ records: StateRecords,
        createdAt: Timestamp,
        compressionLevel: Int32 = defaultCompressionLevel
    ) throws(StorageError) -> (header: SnapshotHeader, bytes: [UInt8]) {
        let body = StateCodec.encode(records)
        let compressed: [UInt8]
        do throws(Zlib.Failure) {
            compressed = try Zlib.compress(body, level: compressionLevel)
        } catch {
            throw .corruptSnapshot(file: StorageFileName.snapshot(records.sequence), reason: error.description)
        }
        let header = SnapshotHeader(
            sequence: records.sequence,
            createdAt: createdAt,
            counts: records.counts,
            bodySize: UInt64(body.count),
            compressedSize: UInt64(compressed.count),
            bodyChecksum: CRC32.castagnoli.checksum(compressed)
        )
        var bytes = header.bytes
        bytes.reserveCapacity(bytes.count + compressed.count)
        bytes.append(contentsOf: compressed)
        return (header, bytes)
    }

    /// Checks the header and body checksum of a snapshot file's bytes without decompressing.
    ///
    /// - Parameter file: the name used in errors.
    public static func header(of bytes: [UInt8], file: String) throws(StorageError) -> SnapshotHeader {
        let header: SnapshotHeader
        switch SnapshotHeader.parse(bytes) {
        case .success(let parsed): header = parsed
        case .failure(.unknownVersion(let version)): throw .unknownFormatVersion(file: file, version: version)
        case .failure(let problem): throw .corruptSnapshot(file: file, reason: problem.description)
        }
        guard UInt64(bytes.count - header.size) == header.compressedSize else {
            throw .corruptSnapshot(
                file: file,
                reason: "the body has \(bytes.count - header.size) bytes, the header says \(header.compressedSize)"
            )
        }
        let checksum = bytes.withUnsafeBytes { CRC32.castagnoli.checksum(UnsafeRawBufferPointer(rebasing: $0[header.size...])) }
        guard checksum == header.bodyChecksum else { throw .corruptSnapshot(file: file, reason: "body checksum mismatch") }
        return header
    }

    /// Decodes and fully checks a snapshot file's bytes into its records, keeping the newest
    /// `activityCapacity` events of each user (by default all of them).
    public static func decodeRecords(
        _ bytes: [UInt8],
        file: String,
        activityCapacity: Int = .max
    ) throws(StorageError) -> (header: SnapshotHeader, records: StateRecords) {
        let header = try header(of: bytes, file: file)
        guard header.bodySize <= UInt64(Int.max) else { throw .corruptSnapshot(file: file, reason: "body size out of range") }
        let body: [UInt8]
        do throws(Zlib.Failure) {
            body = try Zlib.decompress(bytes[header.size...], expectedSize: Int(header.bodySize))
        } catch {
            throw .corruptSnapshot(file: file, reason: error.description)
        }
        let records: StateRecords
        do throws(CodecError) {
            records = try StateCodec.decode(body, activityCapacity: activityCapacity)
        } catch {
            throw .corruptSnapshot(file: file, reason: "body: \(error)")
        }
        guard records.sequence == header.sequence else {
            throw .corruptSnapshot(file: file, reason: "body sequence \(records.sequence) differs from the header's \(header.sequence)")
        }
        guard records.counts == header.counts else {
            throw .corruptSnapshot(file: file, reason: "records (\(records.counts)) differ from the header's counts (\(header.counts))")
        }
        return (header, records)
    }

    /// Decodes and fully checks a snapshot file's bytes into the state it holds, keeping `activityCapacity`
    /// recent events per user (by default all the file holds).
    public static func decode(
        _ bytes: [UInt8],
        file: String,
        activityCapacity: Int = .max
    ) throws(StorageError) -> (header: SnapshotHeader, state: StoreState) {
        let (header, records) = try decodeRecords(bytes, file: file, activityCapacity: activityCapacity)
        do throws(InconsistentState) {
            return (header, try (consume records).makeState(activityCapacity: activityCapacity))
        } catch {
            throw .corruptSnapshot(file: file, reason: "records are inconsistent: \(error)")
        }
    }
}
