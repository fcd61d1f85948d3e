import BureauStore

/// The JSON form of a state (`bureau snapshot export`): every record, bcrypt hashes included. No
/// plaintext key exists anywhere to be exported: only hashes are ever stored. Times are RFC 3339 strings
/// with milliseconds, ids lowercase UUID strings; ``StorageTools/exportSnapshot(at:fileSystem:)`` sorts keys.
public struct StateExport: Sendable, Codable, Equatable {
    /// Always `bureau-state`.
    public var format: String
    /// The version of this JSON layout.
    public var formatVersion: Int
    /// The sequence of the last mutation included.
    public var sequence: UInt64
    /// Records of each kind.
    public var counts: RecordCounts
    /// Users by id.
    public var users: [User]
    /// Key records (bcrypt hashes, never plaintext).
    public var apiKeys: [APIKeyRecord]
    /// Desktops, each owner's in creation order.
    public var desktops: [Desktop]
    /// Tasks, each owner's in creation order.
    public var tasks: [MissionTask]
    /// Remembered `Idempotency-Key`s.
    public var idempotencyRecords: [IdempotencyRecord]
    /// Each user's recent activity (absent in exports written before it existed).
    public var activity: [UserActivityRecord]?
    /// Live browser sessions, each with the SHA-256 digest of its secret (the secret itself is never
    /// stored); absent in exports written before sessions existed.
    public var sessions: [SessionRecord]?
    /// Requests per day and the latest client of each key that was used; absent in exports written before
    /// usage was kept.
    public var keyUsage: [KeyUsageRecord]?

    /// The export of `records`, in their canonical order.
    public init(_ records: StateRecords) {
        format = "bureau-state"
        formatVersion = 1
        sequence = records.sequence
        counts = records.counts
        users = records.users
        apiKeys = records.apiKeys
        desktops = records.desktops
        tasks = records.tasks
        idempotencyRecords = records.idempotency
        activity = records.activity
        sessions = records.sessions
        keyUsage = records.keyUsage
    }

    /// The records this export holds.
    public var records: StateRecords {
        StateRecords(
            sequence: sequence,
            users: users,
            apiKeys: apiKeys,
            desktops: desktops,
            tasks: tasks,
            idempotency: idempotencyRecords,
            activity: activity ?? [],
            sessions: sessions ?? [],
            keyUsage: keyUsage ?? []
        )
    }
}
