import BureauStore

/// The JSON form of a state (`bureau snapshot export`): every record, bcrypt hashes included. No
/// plaintext key exists anywhere to be exported: only hashes are ever stored.
public struct StateExport: Sendable, Codable, Equatable {
    /// Always `bureau-state`.
    public var format: String
    /// The version of this JSON layout.
    public var formatVersion: Int
    /// The sequence of the last mutation included.
    public var sequence: UInt64
    public var counts: RecordCounts
    public var users: [User]
    public var apiKeys: [APIKeyRecord]
    public var desktops: [Desktop]
    public var tasks: [MissionTask]
    public var idempotencyRecords: [IdempotencyRecord]

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
    }

    /// The records this export holds.
    public var records: StateRecords {
        StateRecords(sequence: sequence, users: users, apiKeys: apiKeys, desktops: desktops, tasks: tasks, idempotency: idempotencyRecords)
    }
}
