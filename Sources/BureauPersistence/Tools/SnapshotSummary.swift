/// What `bureau snapshot inspect` shows of a snapshot file.
public struct SnapshotSummary: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file as named by the caller.
    public var file: String
    /// Its size in bytes.
    public var fileSize: Int
    /// Its header.
    public var header: SnapshotHeader
    /// Whether the compressed body matches the header's checksum.
    public var bodyChecksumValid: Bool

    /// Describes a snapshot file.
    public init(file: String, fileSize: Int, header: SnapshotHeader, bodyChecksumValid: Bool) {
        self.file = file
        self.fileSize = fileSize
        self.header = header
        self.bodyChecksumValid = bodyChecksumValid
    }

    public var description: String {
        let counts = header.counts
        let ratio = header.compressedSize == 0 ? 0 : Double(header.bodySize) / Double(header.compressedSize)
        return """
            file: \(file)
            format version: \(header.version)
            sequence: \(header.sequence)
            created at: \(header.createdAt)
            users: \(counts.users)
            api keys: \(counts.apiKeys)
            desktops: \(counts.desktops)
            tasks: \(counts.tasks)
            idempotency records: \(counts.idempotencyRecords)
            sessions: \(counts.sessions)
            body: \(header.bodySize) bytes, \(header.compressedSize) compressed (ratio \((ratio * 10).rounded() / 10))
            file size: \(fileSize) bytes
            body checksum: \(bodyChecksumValid ? "ok" : "MISMATCH")
            """
    }
}

/// What `bureau data verify` found in a data directory that has no problem.
public struct DataDirectoryReport: Sendable, CustomStringConvertible {
    /// Every snapshot, each fully checked.
    public var snapshots: [SnapshotSummary]
    /// Every log segment, oldest first.
    public var segments: [LogSegmentInfo]
    /// The sequence the directory's state reaches.
    public var sequence: UInt64
    /// The records of that state.
    public var counts: RecordCounts
    /// Log records replayed on top of the newest snapshot.
    public var replayedRecords: Int

    public var description: String {
        var lines = ["state: sequence \(sequence); \(counts)"]
        for snapshot in snapshots {
            lines.append("snapshot \(snapshot.file): sequence \(snapshot.header.sequence), \(snapshot.fileSize) bytes, ok")
        }
        for segment in segments {
            let range = segment.lastSequence.map { "\(segment.firstSequence)...\($0)" } ?? "empty from \(segment.firstSequence)"
            lines.append("log \(segment.name): records \(range), \(segment.size) bytes, ok")
        }
        lines.append("replayed \(replayedRecords) records after the newest snapshot")
        return lines.joined(separator: "\n")
    }
}

/// What a restore did.
public struct RestoreOutcome: Sendable, Hashable {
    /// The snapshot restored.
    public var summary: SnapshotSummary
    /// The file written in the data directory.
    public var file: String
    /// The folder inside the data directory the previous files were moved to, if there were any.
    public var movedAsideTo: String?
}
