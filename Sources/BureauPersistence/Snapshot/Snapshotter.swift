import BureauStore
import Dispatch
import Logging

/// Writes snapshots of the state into a data directory, one at a time, off the caller's thread:
///
/// 1. encode and compress the state (a copy-on-write copy: writers are not held up);
/// 2. write it to a temporary file, sync it, rename it into place, sync the directory;
/// 3. read it back and check it decodes to the very same records, consistent with each other;
/// 4. keep the newest `keep` snapshots, and delete the log segments the oldest kept one covers, so
///    that recovery can always fall back from a damaged newest snapshot to the one before plus the log.
///    (With a single snapshot nothing of the log is deleted: its fallback is the whole log.)
///
/// A failure at any step leaves the previous snapshots and the log as they were.
public final class Snapshotter: Sendable {
    /// What one snapshot did.
    public struct Outcome: Sendable, Hashable {
        /// The new snapshot's header.
        public var header: SnapshotHeader
        /// Its file name.
        public var file: String
        /// Its size in bytes.
        public var bytes: Int
        /// Older snapshots deleted.
        public var removedSnapshots: [String]
        /// Log segments deleted.
        public var removedSegments: [String]
    }

    let directory: DataDirectory
    let journal: LogJournal?
    let keep: Int
    let compressionLevel: Int32
    let logger: Logger
    let now: @Sendable () -> Timestamp
    private let queue = DispatchQueue(label: "bureau.snapshot", qos: .utility)

    /// A snapshotter for `directory`, pruning `journal`'s segments (none when `nil`).
    public init(
        directory: DataDirectory,
        journal: LogJournal?,
        keep: Int = 2,
        compressionLevel: Int32 = SnapshotFile.defaultCompressionLevel,
        logger: Logger,
        now: @escaping @Sendable () -> Timestamp = { Timestamp.now() }
    ) {
        self.directory = directory
        self.journal = journal
        self.keep = max(keep, 1)
        self.compressionLevel = compressionLevel
        self.logger = logger
        self.now = now
    }

    /// Writes a snapshot of `state`, unless a snapshot of that sequence already exists (then `nil`).
    ///
    /// - Throws: ``StorageError`` when any step fails; nothing is lost then.
    public func write(_ state: StoreState) async throws -> Outcome? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome?, any Error>) in
            queue.async { [self] in
                do throws(StorageError) {
                    continuation.resume(returning: try writeNow(state))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// The blocking work of ``write(_:)``.
    private func writeNow(_ state: StoreState) throws(StorageError) -> Outcome? {
        let started = ContinuousClock.now
        let fileSystem = directory.fileSystem
        let name = StorageFileName.snapshot(state.sequence)
        if try directory.listing().snapshots.contains(where: { $0.sequence == state.sequence }) { return nil }
        let records = StateRecords(state)
        let (header, bytes) = try SnapshotFile.encode(records, createdAt: now(), compressionLevel: compressionLevel)
        let path = directory.path(of: name)
        try attemptAll { () throws(FileSystemError) in
            try fileSystem.writeFileAtomically(path, bytes, permissions: DataDirectory.filePermissions, directory: directory.path)
        }
        do throws(StorageError) {
            let readBack = try attempt(fileSystem.readFile(path))
            let (_, decoded) = try SnapshotFile.decodeRecords(readBack, file: name)
            guard decoded == records else {
                throw StorageError.corruptSnapshot(file: name, reason: "what was read back differs from what was written")
            }
            do throws(InconsistentState) {
                _ = try decoded.makeState()
            } catch {
                throw StorageError.corruptSnapshot(file: name, reason: "records are inconsistent: \(error)")
            }
        } catch {
            try? fileSystem.remove(path)
            throw error
        }

        var removedSnapshots: [String] = []
        let snapshots = try directory.listing().snapshots
        for old in snapshots.dropLast(keep) {
            do throws(FileSystemError) {
                try fileSystem.remove(directory.path(of: old.name))
                removedSnapshots.append(old.name)
            } catch {
                logger.warning("could not delete an old snapshot", metadata: ["file": "\(old.name)", "error": "\(error)"])
            }
        }
        var removedSegments: [String] = []
        let kept = snapshots.suffix(keep)
        if let journal, kept.count >= keep, let oldest = kept.first {
            do throws(StorageError) {
                removedSegments = try journal.removeSegments(coveredThrough: oldest.sequence)
            } catch {
                logger.warning("could not delete old log segments", metadata: ["error": "\(error)"])
            }
        }
        logger.info(
            "snapshot written",
            metadata: [
                "file": "\(name)", "sequence": "\(state.sequence)", "bytes": "\(bytes.count)",
                "duration_ms": "\((ContinuousClock.now - started).milliseconds)",
                "removed_snapshots": "\(removedSnapshots.count)", "removed_segments": "\(removedSegments.count)",
            ]
        )
        return Outcome(header: header, file: name, bytes: bytes.count, removedSnapshots: removedSnapshots, removedSegments: removedSegments)
    }
}
