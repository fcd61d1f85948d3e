/// The kinds of task mission control accepts.
public enum TaskType: String, Hashable, Sendable, Codable, CaseIterable {
    case prompt
}

/// Where a task is in its life.
public enum TaskStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case queued
    case running
    case completed
    case failed
    case cancelled

    /// `true` once nothing more can happen to the task.
    public var isFinished: Bool {
        switch self {
        case .completed, .failed, .cancelled: true
        case .queued, .running: false
        }
    }

    /// The transitions the API allows: `queued → running → completed|failed`, `queued|running → cancelled`.
    public func canMove(to next: TaskStatus) -> Bool {
        switch (self, next) {
        case (.queued, .running), (.running, .completed), (.running, .failed), (.queued, .cancelled), (.running, .cancelled):
            true
        default:
            false
        }
    }
}

/// A unit of work sent to a desktop through mission control.
///
/// A value like any struct, held compactly: all its fields live in one immutable block (``PackedTask``), so
/// a copy costs one retain, a slot of the store's maps holds one pointer, and an activity event showing
/// the task as it is stored shares that very block. Setting a field builds a new block; copies taken
/// before keep seeing the old values.
public struct MissionTask: Hashable, Sendable, Codable {
    /// Immutable once made (see ``PackedTask``), hence safe to share although `ManagedBuffer` is not `Sendable`.
    private nonisolated(unsafe) var packed: PackedTask

    public init(
        id: TaskID,
        ownerID: UserID,
        desktopID: DesktopID,
        type: TaskType,
        content: String,
        status: TaskStatus,
        result: String?,
        createdAt: Timestamp,
        updatedAt: Timestamp,
        ordinal: UInt64
    ) {
        let fields = PackedTaskFields(
            id: id,
            ownerID: ownerID,
            desktopID: desktopID,
            createdAt: createdAt,
            updatedAt: updatedAt,
            ordinal: ordinal,
            type: type,
            status: status,
            hasResult: result != nil
        )
        packed = PackedTask.make(fields, content: content, result: result)
    }

    public var id: TaskID {
        get { packed.fields.id }
        set { replaceFields { $0.id = newValue } }
    }

    public var ownerID: UserID {
        get { packed.fields.ownerID }
        set { replaceFields { $0.ownerID = newValue } }
    }

    public var desktopID: DesktopID {
        get { packed.fields.desktopID }
        set { replaceFields { $0.desktopID = newValue } }
    }

    public var type: TaskType {
        get { packed.fields.type }
        set { replaceFields { $0.type = newValue } }
    }

    public var content: String {
        get { packed.content }
        set { packed = PackedTask.make(packed.fields, content: newValue, result: result) }
    }

    /// Calls `body` with the UTF-8 bytes of ``content`` where the task keeps them: answers write them out
    /// without building a `String` per task.
    public func withContentUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try packed.withContentBytes(body)
    }

    /// Calls `body` with the UTF-8 bytes of ``result`` where the task keeps them, `nil` when it has none.
    public func withResultUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>?) throws -> Result) rethrows -> Result {
        try packed.withResultBytes(body)
    }

    public var status: TaskStatus {
        get { packed.fields.status }
        set { replaceFields { $0.status = newValue } }
    }

    public var result: String? {
        get { packed.result }
        set { packed = PackedTask.make(packed.fields, content: content, result: newValue) }
    }

    public var createdAt: Timestamp {
        get { packed.fields.createdAt }
        set { replaceFields { $0.createdAt = newValue } }
    }

    public var updatedAt: Timestamp {
        get { packed.fields.updatedAt }
        set { replaceFields { $0.updatedAt = newValue } }
    }

    /// Creation order within the store (the sequence of the creating mutation); pagination cursors use it.
    public var ordinal: UInt64 {
        get { packed.fields.ordinal }
        set { replaceFields { $0.ordinal = newValue } }
    }

    /// The task moved to `status` at `time`, its result replaced when `result` is given: one new block
    /// where setting the fields one by one would build one per field.
    public func moved(to status: TaskStatus, result: String? = nil, at time: Timestamp) -> MissionTask {
        var fields = packed.fields
        fields.status = status
        fields.updatedAt = time
        var moved = self
        moved.packed = PackedTask.make(fields, content: content, result: result ?? self.result)
        return moved
    }

    /// `true` when both values are held in the very same block (so equal without comparing a field):
    /// an activity event shares its task's block until the task changes.
    public func sharesStorage(with other: MissionTask) -> Bool { packed === other.packed }

    /// Rebuilds the block with the fixed fields changed by `change` and the strings kept.
    private mutating func replaceFields(_ change: (inout PackedTaskFields) -> Void) {
        var fields = packed.fields
        change(&fields)
        packed = PackedTask.make(fields, content: content, result: result)
    }

    /// Field by field, strings compared as strings (as a struct of these fields would compare).
    public static func == (lhs: MissionTask, rhs: MissionTask) -> Bool {
        if lhs.packed === rhs.packed { return true }
        return lhs.packed.fields == rhs.packed.fields && lhs.packed.hasSameStrings(as: rhs.packed)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(packed.fields)
        hasher.combine(content)
        hasher.combine(result)
    }

    /// The same keys as the struct of plain fields this type replaced, so exports keep their shape.
    private enum CodingKeys: String, CodingKey {
        case id, ownerID, desktopID, type, content, status, result, createdAt, updatedAt, ordinal
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(TaskID.self, forKey: .id),
            ownerID: try container.decode(UserID.self, forKey: .ownerID),
            desktopID: try container.decode(DesktopID.self, forKey: .desktopID),
            type: try container.decode(TaskType.self, forKey: .type),
            content: try container.decode(String.self, forKey: .content),
            status: try container.decode(TaskStatus.self, forKey: .status),
            result: try container.decodeIfPresent(String.self, forKey: .result),
            createdAt: try container.decode(Timestamp.self, forKey: .createdAt),
            updatedAt: try container.decode(Timestamp.self, forKey: .updatedAt),
            ordinal: try container.decode(UInt64.self, forKey: .ordinal)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(ownerID, forKey: .ownerID)
        try container.encode(desktopID, forKey: .desktopID)
        try container.encode(type, forKey: .type)
        try container.encode(content, forKey: .content)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(result, forKey: .result)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(ordinal, forKey: .ordinal)
    }
}

/// Remembers the first answer to a task creation carrying an `Idempotency-Key`.
public struct IdempotencyRecord: Hashable, Sendable, Codable {
    public var userID: UserID
    /// The client's `Idempotency-Key` header value.
    public var key: String
    /// SHA-256 (hex) of the request body the key was first used with.
    public var requestDigest: String
    public var taskID: TaskID
    public var createdAt: Timestamp

    public init(userID: UserID, key: String, requestDigest: String, taskID: TaskID, createdAt: Timestamp) {
        self.userID = userID
        self.key = key
        self.requestDigest = requestDigest
        self.taskID = taskID
        self.createdAt = createdAt
    }

    /// How long a key is remembered (24 hours, as Stripe does).
    public static let retentionMilliseconds: Int64 = 24 * 3_600_000

    /// Whether the record's retention is over at `now` (a record from the future is kept until it is due).
    public func hasExpired(at now: Timestamp) -> Bool {
        let (age, overflow) = now.millisecondsSinceEpoch.subtractingReportingOverflow(createdAt.millisecondsSinceEpoch)
        return overflow ? now > createdAt : age >= Self.retentionMilliseconds
    }
}
