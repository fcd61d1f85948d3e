/// The names of the files in a data directory.
///
/// - `LOCK`: held (flock) by the process that owns the directory.
/// - `log-<first sequence, 20 digits>.seg`: log segments.
/// - `snapshot-<sequence, 20 digits>.snap`: snapshots.
/// - `*.tmp`: files being written; leftovers of a crash, removed at start.
/// - `*.broken`: bytes cut from a torn log tail, kept for inspection.
public enum StorageFileName: Sendable, Hashable {
    case lock
    case segment(firstSequence: UInt64)
    case snapshot(sequence: UInt64)
    case temporary
    case broken
    case other

    /// The lock file's name.
    public static let lockName = "LOCK"

    /// The name of the segment whose first record is `firstSequence`.
    public static func segment(_ firstSequence: UInt64) -> String { "log-\(padded(firstSequence)).seg" }

    /// The name of the snapshot of the state at `sequence`.
    public static func snapshot(_ sequence: UInt64) -> String { "snapshot-\(padded(sequence)).snap" }

    /// What `name` is.
    public init(parsing name: String) {
        if name == Self.lockName {
            self = .lock
        } else if name.hasSuffix(".tmp") {
            self = .temporary
        } else if name.hasSuffix(".broken") {
            self = .broken
        } else if let sequence = Self.number(in: name, prefix: "log-", suffix: ".seg") {
            self = .segment(firstSequence: sequence)
        } else if let sequence = Self.number(in: name, prefix: "snapshot-", suffix: ".snap") {
            self = .snapshot(sequence: sequence)
        } else {
            self = .other
        }
    }

    private static func padded(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    private static func number(in name: String, prefix: String, suffix: String) -> UInt64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }
}

/// The storage files found in a directory, each kind in ascending order of sequence.
public struct DirectoryListing: Sendable {
    /// Log segments: (first sequence, name).
    public var segments: [(firstSequence: UInt64, name: String)] = []
    /// Snapshots: (sequence, name).
    public var snapshots: [(sequence: UInt64, name: String)] = []
    /// Leftover temporary files.
    public var temporaries: [String] = []
    /// Every name other than the lock file.
    public var allButLock: [String] = []

    /// Sorts `names` by kind.
    public init(_ names: [String]) {
        for name in names {
            switch StorageFileName(parsing: name) {
            case .segment(let first): segments.append((first, name))
            case .snapshot(let sequence): snapshots.append((sequence, name))
            case .temporary: temporaries.append(name)
            case .lock, .broken, .other: break
            }
            if name != StorageFileName.lockName { allButLock.append(name) }
        }
        segments.sort { $0.firstSequence < $1.firstSequence }
        snapshots.sort { $0.sequence < $1.sequence }
        temporaries.sort()
        allButLock.sort()
    }
}
