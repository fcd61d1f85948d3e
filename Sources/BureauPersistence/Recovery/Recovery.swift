import BureauStore
import Logging

/// Rebuilds the state from a data directory: the newest snapshot that verifies (falling back to older
/// ones, with a warning), then every log record after it, in order.
///
/// A torn tail of the last segment is cut (the bytes kept in a `.broken` file, a warning logged). Any
/// other damage, a gap in sequences, a record that does not apply, or a segment of an unknown format
/// refuses, naming file, offset and sequence. An empty directory gives an empty state.
///
/// A segment that is not the last and that the loaded snapshot wholly covers (the next segment starts
/// at or before the record after the snapshot) holds nothing the state needs, so starting the server
/// checks only its header and size, not every record's checksum. It is kept for a fallback: when the
/// newest snapshot is unusable, the older one covers less and those segments are read and checked in
/// full; `data verify` always reads and checks every segment.
public enum Recovery {
    /// Recovers the locked `directory`, removing leftover temporary files and repairing a torn tail. The
    /// state keeps `activityCapacity` recent events per user (`stream.replay_events`): those of the
    /// snapshot, then those the replayed records produce.
    public static func recover(
        _ directory: DataDirectory,
        activityCapacity: Int = StoreState.defaultActivityCapacity,
        logger: Logger
    ) throws(StorageError) -> RecoveredState {
        try directory.removeTemporaryFiles(logger: logger)
        return try replay(
            path: directory.path,
            fileSystem: directory.fileSystem,
            activityCapacity: activityCapacity,
            logger: logger,
            repairing: true,
            checkingCoveredSegments: false
        )
    }

    /// Reads the directory at `path`. With `repairing` false nothing is changed and a torn tail is
    /// reported as an error (what `data verify` does). With `checkingCoveredSegments` false, segments the
    /// snapshot wholly covers have only their header checked (see ``Recovery``).
    static func replay(
        path: String,
        fileSystem: any FileSystem,
        activityCapacity: Int = StoreState.defaultActivityCapacity,
        logger: Logger,
        repairing: Bool,
        checkingCoveredSegments: Bool = true
    ) throws(StorageError) -> RecoveredState {
        let listing = DirectoryListing(try attempt(fileSystem.contentsOfDirectory(path)))
        var recovered = RecoveredState(
            state: StoreState(activityCapacity: activityCapacity),
            snapshot: nil,
            skippedSnapshots: [],
            segments: [],
            replayedRecords: 0,
            repairs: []
        )

        for entry in listing.snapshots.reversed() {
            do throws(StorageError) {
                let bytes = try attempt(fileSystem.readFile(path + "/" + entry.name))
                let (header, state) = try SnapshotFile.decode(bytes, file: entry.name, activityCapacity: activityCapacity)
                guard header.sequence == entry.sequence else {
                    throw StorageError.corruptSnapshot(file: entry.name, reason: "holds sequence \(header.sequence), its name says \(entry.sequence)")
                }
                recovered.state = state
                recovered.state.setActivityCapacity(activityCapacity)
                recovered.snapshot = header
                break
            } catch {
                logger.warning("snapshot unusable; falling back to the one before it", metadata: ["file": "\(entry.name)", "error": "\(error)"])
                recovered.skippedSnapshots.append("\(error)")
            }
        }

        let snapshotSequence = recovered.state.sequence
        var nextExpected: UInt64?
        for (index, entry) in listing.segments.enumerated() {
            try LogSegmentScan.checkFirstSequence(entry.firstSequence, file: entry.name)
            let segmentPath = path + "/" + entry.name
            let isLast = index == listing.segments.count - 1
            if !checkingCoveredSegments, recovered.snapshot != nil, !isLast,
                listing.segments[index + 1].firstSequence <= snapshotSequence + 1
            {
                let expected = nextExpected ?? snapshotSequence + 1
                if entry.firstSequence < expected, nextExpected != nil {
                    throw .sequenceGap(file: entry.name, offset: 0, expected: expected, found: entry.firstSequence)
                }
                let segment = try coveredSegment(
                    entry,
                    nextFirstSequence: listing.segments[index + 1].firstSequence,
                    at: segmentPath,
                    fileSystem: fileSystem
                )
                nextExpected = (segment.lastSequence ?? segment.firstSequence - 1) + 1
                recovered.segments.append(segment)
                continue
            }
            let bytes = try attempt(fileSystem.readFile(segmentPath))
            let scan = try LogSegmentScan.scan(bytes, file: entry.name, firstSequence: entry.firstSequence, isLast: isLast)
            if let tear = scan.tear {
                guard repairing else {
                    throw .corruptSegment(
                        file: entry.name,
                        offset: tear.offset,
                        sequence: tear.sequence,
                        reason: "torn tail (\(tear.reason)); the server cuts it when it starts"
                    )
                }
                recovered.repairs.append(try cut(tear, of: entry.name, bytes: bytes, wholeFile: scan.header == nil, in: path, fileSystem: fileSystem))
                logger.warning(
                    "cut a torn tail off the log",
                    metadata: [
                        "file": "\(entry.name)", "offset": "\(tear.offset)", "sequence": "\(tear.sequence)",
                        "bytes": "\(bytes.count - tear.offset)", "reason": "\(tear.reason)",
                    ]
                )
                if scan.header == nil { continue }
            }

            let first = entry.firstSequence
            let expected = nextExpected ?? snapshotSequence + 1
            if first != expected {
                // Records missing between two segments (or before the first) are fine only when the
                // snapshot already holds them.
                let covered = first > expected ? first <= snapshotSequence + 1 : nextExpected == nil
                guard covered else { throw .sequenceGap(file: entry.name, offset: 0, expected: expected, found: first) }
            }
            for record in scan.records where record.sequence > recovered.state.sequence {
                guard record.sequence == recovered.state.sequence + 1 else {
                    throw .sequenceGap(file: entry.name, offset: record.offset, expected: recovered.state.sequence + 1, found: record.sequence)
                }
                let mutation: Mutation
                do throws(CodecError) {
                    mutation = try MutationCodec.decode(type: record.type, bytes, range: record.payload)
                } catch {
                    throw .corruptSegment(file: entry.name, offset: record.offset, sequence: record.sequence, reason: "\(error)")
                }
                do throws(InconsistentMutation) {
                    try recovered.state.apply(mutation, sequence: record.sequence)
                } catch {
                    throw .inconsistentLog(file: entry.name, offset: record.offset, sequence: record.sequence, reason: "\(error)")
                }
                recovered.replayedRecords += 1
            }
            nextExpected = (scan.lastSequence ?? first - 1) + 1
            recovered.segments.append(
                LogSegmentInfo(name: entry.name, firstSequence: first, lastSequence: scan.lastSequence, size: Int64(scan.validEnd))
            )
        }
        return recovered
    }

    /// A segment the snapshot wholly covers, from its header and size alone: its records run up to the one
    /// before `nextFirstSequence`, where the next segment starts.
    private static func coveredSegment(
        _ entry: (firstSequence: UInt64, name: String),
        nextFirstSequence: UInt64,
        at segmentPath: String,
        fileSystem: any FileSystem
    ) throws(StorageError) -> LogSegmentInfo {
        let (headerBytes, size) = try attemptAll { () throws(FileSystemError) in
            let file = try fileSystem.open(segmentPath, .readOnly)
            defer { fileSystem.close(file) }
            var bytes = [UInt8](repeating: 0, count: SegmentHeader.size)
            var filled = 0
            while filled < bytes.count {
                let count = try bytes.withUnsafeMutableBytes { buffer in
                    Result { () throws(FileSystemError) in
                        try fileSystem.read(file, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: Int64(filled))
                    }
                }.get()
                if count == 0 { break }
                filled += count
            }
            bytes.removeSubrange(filled...)
            return (bytes, try fileSystem.size(of: file))
        }
        switch SegmentHeader.parse(headerBytes) {
        case .success(let header):
            guard header.firstSequence == entry.firstSequence else {
                throw .corruptSegment(
                    file: entry.name,
                    offset: 0,
                    sequence: entry.firstSequence,
                    reason: "header says the first sequence is \(header.firstSequence), the name says \(entry.firstSequence)"
                )
            }
        case .failure(.unknownVersion(let version)):
            throw .unknownFormatVersion(file: entry.name, version: version)
        case .failure(let problem):
            throw .corruptSegment(file: entry.name, offset: 0, sequence: entry.firstSequence, reason: problem.description)
        }
        let holdsRecords = size > Int64(SegmentHeader.size) && nextFirstSequence > entry.firstSequence
        return LogSegmentInfo(
            name: entry.name,
            firstSequence: entry.firstSequence,
            lastSequence: holdsRecords ? nextFirstSequence - 1 : nil,
            size: size
        )
    }

    /// Copies the torn bytes to a `.broken` file, then cuts the segment (or removes it, when it never got
    /// a whole header), and syncs all of it.
    private static func cut(
        _ tear: LogSegmentScan.Tear,
        of name: String,
        bytes: [UInt8],
        wholeFile: Bool,
        in path: String,
        fileSystem: any FileSystem
    ) throws(StorageError) -> TornTailRepair {
        let brokenName = "\(name).\(tear.offset).broken"
        let segmentPath = path + "/" + name
        try attemptAll { () throws(FileSystemError) in
            let broken = try fileSystem.open(path + "/" + brokenName, .create(permissions: DataDirectory.filePermissions))
            defer { fileSystem.close(broken) }
            try fileSystem.truncate(broken, to: 0)
            try fileSystem.write(broken, Array(bytes[tear.offset...]), at: 0)
            try fileSystem.synchronize(broken, metadata: true)
            if wholeFile {
                try fileSystem.remove(segmentPath)
            } else {
                let segment = try fileSystem.open(segmentPath, .readWrite)
                defer { fileSystem.close(segment) }
                try fileSystem.truncate(segment, to: Int64(tear.offset))
                try fileSystem.synchronize(segment, metadata: true)
            }
            try fileSystem.synchronizeDirectory(path)
        }
        return TornTailRepair(
            file: name,
            offset: tear.offset,
            sequence: tear.sequence,
            bytes: bytes.count - tear.offset,
            brokenFile: brokenName,
            reason: tear.reason
        )
    }
}
