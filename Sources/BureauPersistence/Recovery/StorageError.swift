/// Why the storage layer refused: each case names the file, and where it applies the byte offset and
/// sequence, so an operator can find the problem. Never carries record contents.
public enum StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another process holds the data directory's lock.
    case directoryInUse(directory: String)
    /// The data directory path names something that is not a directory.
    case notADirectory(String)
    /// A file operation failed.
    case fileSystem(FileSystemError)
    /// Bytes of a log segment are damaged somewhere other than a repairable tail.
    case corruptSegment(file: String, offset: Int, sequence: UInt64, reason: String)
    /// Sequences do not follow each other.
    case sequenceGap(file: String, offset: Int, expected: UInt64, found: UInt64)
    /// A file of a format version this version cannot read.
    case unknownFormatVersion(file: String, version: UInt16)
    /// A snapshot cannot be used.
    case corruptSnapshot(file: String, reason: String)
    /// A record is intact but does not apply to the state it follows.
    case inconsistentLog(file: String, offset: Int, sequence: UInt64, reason: String)
    /// The target directory of a restore is not empty and `force` was not given.
    case directoryNotEmpty(String)
    /// A log record could not be written; nothing was changed (disk full, I/O error).
    case writeRefused(FileSystemError)
    /// Syncing the log failed: what the disk holds is unknown, so the process must restart from it.
    case syncFailed(FileSystemError)
    /// A record was offered out of order.
    case outOfOrder(expected: UInt64, found: UInt64)
    /// The journal was closed.
    case journalClosed

    public var description: String {
        switch self {
        case .directoryInUse(let directory):
            "data directory \(directory) is in use by another process (its LOCK file is held)"
        case .notADirectory(let path):
            "\(path) is not a directory"
        case .fileSystem(let error):
            "\(error)"
        case .corruptSegment(let file, let offset, let sequence, let reason):
            "log segment \(file) is corrupt at byte \(offset) (sequence \(sequence)): \(reason)"
        case .sequenceGap(let file, let offset, let expected, let found):
            "log segment \(file) at byte \(offset): expected sequence \(expected), found \(found)"
        case .unknownFormatVersion(let file, let version):
            "\(file) has format version \(version), which this version cannot read (written by a newer version?)"
        case .corruptSnapshot(let file, let reason):
            "snapshot \(file) is unusable: \(reason)"
        case .inconsistentLog(let file, let offset, let sequence, let reason):
            "log segment \(file) at byte \(offset): record \(sequence) does not apply: \(reason)"
        case .directoryNotEmpty(let directory):
            "\(directory) is not empty (use --force to move its files aside)"
        case .writeRefused(let error):
            "the log refused a write: \(error)"
        case .syncFailed(let error):
            "syncing the log failed: \(error)"
        case .outOfOrder(let expected, let found):
            "record \(found) offered when \(expected) was expected"
        case .journalClosed:
            "the log is closed"
        }
    }
}
