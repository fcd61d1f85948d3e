import BureauStore
import Foundation
import Logging

/// The operator's tools behind `bureau snapshot inspect|verify|export|restore` and `bureau data verify`.
/// Each reads files only (restore writes only into the directory it is given, after locking it) and
/// reports the first problem as a ``StorageError`` naming file, offset and sequence.
public enum StorageTools {
    /// The header and sizes of a snapshot file, and whether its body checksum matches (nothing is decompressed).
    public static func inspectSnapshot(at path: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(StorageError) -> SnapshotSummary {
        let bytes = try attempt(fileSystem.readFile(path))
        let name = fileName(path)
        let header: SnapshotHeader
        switch SnapshotHeader.parse(bytes) {
        case .success(let parsed): header = parsed
        case .failure(.unknownVersion(let version)): throw .unknownFormatVersion(file: name, version: version)
        case .failure(let problem): throw .corruptSnapshot(file: name, reason: problem.description)
        }
        let valid: Bool
        do throws(StorageError) {
            _ = try SnapshotFile.header(of: bytes, file: name)
            valid = true
        } catch {
            valid = false
        }
        return SnapshotSummary(file: path, fileSize: bytes.count, header: header, bodyChecksumValid: valid)
    }

    /// Checks every part of a snapshot file: header, checksums, sizes, the decoded records and their consistency.
    public static func verifySnapshot(at path: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(StorageError) -> SnapshotSummary {
        let bytes = try attempt(fileSystem.readFile(path))
        let (header, _) = try SnapshotFile.decode(bytes, file: fileName(path))
        return SnapshotSummary(file: path, fileSize: bytes.count, header: header, bodyChecksumValid: true)
    }

    /// Checks a data directory without changing it: every snapshot fully, every log segment's records
    /// and sequences, and that the log replays onto the newest snapshot. A torn tail is reported too.
    public static func verifyDataDirectory(
        at path: String,
        fileSystem: any FileSystem = POSIXFileSystem(),
        logger: Logger = Logger(label: "bureau.storage.verify")
    ) throws(StorageError) -> DataDirectoryReport {
        guard try attempt(fileSystem.kind(of: path)) == .directory else { throw .notADirectory(path) }
        let listing = DirectoryListing(try attempt(fileSystem.contentsOfDirectory(path)))
        var snapshots: [SnapshotSummary] = []
        for entry in listing.snapshots {
            let summary = try verifySnapshot(at: path + "/" + entry.name, fileSystem: fileSystem)
            guard summary.header.sequence == entry.sequence else {
                throw .corruptSnapshot(file: entry.name, reason: "holds sequence \(summary.header.sequence), its name says \(entry.sequence)")
            }
            snapshots.append(summary)
        }
        let recovered = try Recovery.replay(path: path, fileSystem: fileSystem, logger: logger, repairing: false)
        return DataDirectoryReport(
            snapshots: snapshots,
            segments: recovered.segments,
            sequence: recovered.state.sequence,
            counts: RecordCounts(of: recovered.state),
            replayedRecords: recovered.replayedRecords
        )
    }

    /// The state in a snapshot file as JSON (pretty-printed, keys sorted), after verifying the file.
    public static func exportSnapshot(at path: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(StorageError) -> Data {
        let bytes = try attempt(fileSystem.readFile(path))
        let name = fileName(path)
        let (_, records) = try SnapshotFile.decodeRecords(bytes, file: name)
        do throws(InconsistentState) {
            _ = try records.makeState()
        } catch {
            throw .corruptSnapshot(file: name, reason: "records are inconsistent: \(error)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(StateExport(records))
        } catch {
            throw .corruptSnapshot(file: name, reason: "cannot be rendered as JSON: \(error)")
        }
    }

    /// Makes the data directory at `directoryPath` start from the snapshot at `path`: the snapshot is
    /// verified, the directory created (0700) or locked (refused while a server holds it), and the
    /// snapshot copied in durably. A directory with files in it is refused unless `force`, which first
    /// moves them into a `replaced-<time>` folder inside it.
    public static func restoreSnapshot(
        at path: String,
        into directoryPath: String,
        force: Bool,
        fileSystem: any FileSystem = POSIXFileSystem(),
        now: Timestamp = .now()
    ) throws(StorageError) -> RestoreOutcome {
        let bytes = try attempt(fileSystem.readFile(path))
        let (header, _) = try SnapshotFile.decode(bytes, file: fileName(path))
        let directory = try DataDirectory(path: directoryPath, fileSystem: fileSystem)
        defer { directory.unlock() }
        let existing = try directory.listing().allButLock
        var movedAside: String?
        if !existing.isEmpty {
            guard force else { throw .directoryNotEmpty(directoryPath) }
            let stamp = now.rfc3339.filter { $0.isNumber || $0 == "T" }.prefix(15)
            var aside = "replaced-\(stamp)Z"
            var suffix = 1
            while existing.contains(aside) {
                aside = "replaced-\(stamp)Z-\(suffix)"
                suffix += 1
            }
            let asidePath = directory.path(of: aside)
            try attemptAll { () throws(FileSystemError) in
                try fileSystem.makeDirectory(asidePath, permissions: DataDirectory.directoryPermissions)
                for name in existing { try fileSystem.rename(directory.path(of: name), to: asidePath + "/" + name) }
                try fileSystem.synchronizeDirectory(asidePath)
                try fileSystem.synchronizeDirectory(directoryPath)
            }
            movedAside = aside
        }
        let name = StorageFileName.snapshot(header.sequence)
        try attemptAll { () throws(FileSystemError) in
            try fileSystem.writeFileAtomically(
                directory.path(of: name),
                bytes,
                permissions: DataDirectory.filePermissions,
                directory: directoryPath
            )
        }
        return RestoreOutcome(
            summary: SnapshotSummary(file: path, fileSize: bytes.count, header: header, bodyChecksumValid: true),
            file: name,
            movedAsideTo: movedAside
        )
    }

    private static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
