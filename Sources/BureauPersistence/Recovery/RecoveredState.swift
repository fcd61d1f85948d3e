import BureauStore

/// One log segment as recovery left it.
public struct LogSegmentInfo: Sendable, Hashable {
    /// The file's name in the data directory.
    public var name: String
    /// The sequence its first record has (or would have, when it is empty).
    public var firstSequence: UInt64
    /// The sequence of its last record; `nil` when it holds none.
    public var lastSequence: UInt64?
    /// Its size in bytes (header included).
    public var size: Int64

    /// Describes a segment.
    public init(name: String, firstSequence: UInt64, lastSequence: UInt64?, size: Int64) {
        self.name = name
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.size = size
    }
}

/// A torn tail that recovery cut off.
public struct TornTailRepair: Sendable, Hashable {
    /// The segment that was cut.
    public var file: String
    /// Where the damaged bytes began.
    public var offset: Int
    /// The sequence the damaged record would have had.
    public var sequence: UInt64
    /// How many bytes were cut.
    public var bytes: Int
    /// The file the cut bytes were copied to.
    public var brokenFile: String
    /// What was wrong.
    public var reason: String
}

/// What recovery found: the state to start from and the log to continue.
public struct RecoveredState: Sendable {
    /// The state: the snapshot plus every log record after it.
    public var state: StoreState
    /// The header of the snapshot it started from, if one was used.
    public var snapshot: SnapshotHeader?
    /// Snapshots that could not be used, with why (recovery fell back past them).
    public var skippedSnapshots: [String]
    /// The log segments, oldest first.
    public var segments: [LogSegmentInfo]
    /// How many log records were applied on top of the snapshot.
    public var replayedRecords: Int
    /// Torn tails that were cut.
    public var repairs: [TornTailRepair]

    /// Describes a recovery.
    public init(
        state: StoreState,
        snapshot: SnapshotHeader?,
        skippedSnapshots: [String],
        segments: [LogSegmentInfo],
        replayedRecords: Int,
        repairs: [TornTailRepair]
    ) {
        self.state = state
        self.snapshot = snapshot
        self.skippedSnapshots = skippedSnapshots
        self.segments = segments
        self.replayedRecords = replayedRecords
        self.repairs = repairs
    }
}
