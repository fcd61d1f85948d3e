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
public struct MissionTask: Hashable, Sendable, Codable {
    public var id: TaskID
    public var ownerID: UserID
    public var desktopID: DesktopID
    public var type: TaskType
    public var content: String
    public var status: TaskStatus
    public var result: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Creation order within the store (the sequence of the creating mutation); pagination cursors use it.
    public var ordinal: UInt64

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
        self.id = id
        self.ownerID = ownerID
        self.desktopID = desktopID
        self.type = type
        self.content = content
        self.status = status
        self.result = result
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.ordinal = ordinal
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
}
