import BureauStore
import Dispatch
import Logging

/// Writes snapshots of the state into a data directory, one at a time, off the caller's thread:
///
/// 1. check that the state's records are consistent with each other (as recovery will), without
///    building a second state;
/// 2. encode and compress the state (a copy-on-write copy: writers are not held up) piece by piece
///    straight into a temporary file, sync it, rename it into place, sync the directory;
/// 3. read it back piece by piece and check it decodes to the very same records, record by record;
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
        do throws(InconsistentState) {
            try records.checkConsistency()
        } catch {
            throw StorageError.corruptSnapshot(file: name, reason: "records are inconsistent: \(error)")
        }
        let path = directory.path(of: name)
        let header = try SnapshotFile.write(
            records,
            createdAt: now(),
            compressionLevel: compressionLevel,
            to: path,
            directory: directory.path,
            fileSystem: fileSystem,
            permissions: DataDirectory.filePermissions
        )
        do throws(StorageError) {
            try SnapshotFile.verify(path, file: name, fileSystem: fileSystem, against: records)
        } catch {
            try? fileSystem.remove(path)
            throw error
        }
        let bytes = header.size + Int(header.compressedSize)

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
                "file": "\(name)", "sequence": "\(state.sequence)", "bytes": "\(bytes)",
                "duration_ms": "\((ContinuousClock.now - started).milliseconds)",
                "removed_snapshots": "\(removedSnapshots.count)", "removed_segments": "\(removedSegments.count)",
            ]
        )
        return Outcome(header: header, file: name, bytes: bytes, removedSnapshots: removedSnapshots, removedSegments: removedSegments)
    }
}
