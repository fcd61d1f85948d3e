/// One change to the store's state. Every change goes through a mutation: it is appended to the log,
/// then applied to memory, in that order, so replaying the log onto a snapshot rebuilds the state exactly.
///
/// A mutation carries everything its application needs (ids, times, hashes): applying it never reads
/// a clock or a random source, so a replay is deterministic.
public enum Mutation: Hashable, Sendable, Codable {
    case userCreated(User)
    case apiKeyCreated(APIKeyRecord)
    case apiKeyRevoked(APIKeyRevocation)
    /// A key replaced by a successor (same user, name and scope) and set to expire after a grace period.
    case apiKeyRolled(APIKeyRoll)
    /// A key revoked because someone reported it leaked (``Operations/revokeLeakedKey(_:)``).
    case apiKeyLeaked(APIKeyRevocation)
    /// Persists `lastUsedAt`, the requests per day and the latest client of keys, batched; the in-memory
    /// values move on every request.
    case apiKeysUsed([APIKeyUse])
    /// Keys revoked because they went unused for `auth.unused_key_days` (`auth.revoke_unused_keys`).
    case apiKeysRevokedUnused(UnusedKeysRevocation)
    case desktopCreated(Desktop)
    case desktopUpdated(DesktopChange)
    /// Deletes a desktop; its unfinished tasks become `cancelled` at the same time.
    case desktopDeleted(DesktopDeletion)
    case taskCreated(TaskCreation)
    case taskUpdated(TaskChange)
    /// A browser session starts (a login).
    case sessionCreated(SessionRecord)
    /// A session ends at its user's request (logout).
    case sessionEnded(SessionEnding)
    /// Persists `lastSeenAt` of sessions, batched; the in-memory value moves on every request.
    case sessionsUsed([SessionUse])
    /// Drops sessions whose timeout passed.
    case sessionsPruned(SessionPruning)
    /// Drops the idempotency records whose 24 hours have passed (the periodic sweep).
    case idempotencyExpired(IdempotencyExpiry)

    /// A short stable name of the mutation's kind (for logs, metrics and file inspection).
    public var kind: String {
        switch self {
        case .userCreated: "user.created"
        case .apiKeyCreated: "api_key.created"
        case .apiKeyRevoked: "api_key.revoked"
        case .apiKeyRolled: "api_key.rolled"
        case .apiKeyLeaked: "api_key.leaked"
        case .apiKeysUsed: "api_key.used"
        case .apiKeysRevokedUnused: "api_key.revoked_unused"
        case .desktopCreated: "desktop.created"
        case .desktopUpdated: "desktop.updated"
        case .desktopDeleted: "desktop.deleted"
        case .taskCreated: "task.created"
        case .taskUpdated: "task.updated"
        case .sessionCreated: "session.created"
        case .sessionEnded: "session.ended"
        case .sessionsUsed: "session.used"
        case .sessionsPruned: "session.pruned"
        case .idempotencyExpired: "idempotency.expired"
        }
    }
}

/// Revocation of one key.
public struct APIKeyRevocation: Hashable, Sendable, Codable {
    public var id: APIKeyID
    public var at: Timestamp
    public init(id: APIKeyID, at: Timestamp) {
        self.id = id
        self.at = at
    }
}

/// The roll of one key: its successor, and when the key itself stops working.
public struct APIKeyRoll: Hashable, Sendable, Codable {
    /// The key rolled.
    public var id: APIKeyID
    /// When the rolled key expires: the end of the grace period (or its own expiry, if sooner).
    public var expiresAt: Timestamp
    /// The new key.
    public var successor: APIKeyRecord
    public var at: Timestamp
    public init(id: APIKeyID, expiresAt: Timestamp, successor: APIKeyRecord, at: Timestamp) {
        self.id = id
        self.expiresAt = expiresAt
        self.successor = successor
        self.at = at
    }
}

/// The latest use of one key.
public struct APIKeyUse: Hashable, Sendable, Codable {
    public var id: APIKeyID
    /// The latest use noted.
    public var at: Timestamp
    /// The uses noted since the previous batch, by day (none in records written before usage was counted).
    public var requests: [DailyRequests]
    /// The client address of the latest use (`nil` in records written before it was kept).
    public var client: String?
    public init(id: APIKeyID, at: Timestamp, requests: [DailyRequests] = [], client: String? = nil) {
        self.id = id
        self.at = at
        self.requests = requests
        self.client = client
    }
}

/// Keys revoked together because none was used for `auth.unused_key_days` (``Operations/revokeUnusedKeys(unusedDays:lastUsed:)``).
public struct UnusedKeysRevocation: Hashable, Sendable, Codable {
    /// The keys, each active when revoked.
    public var ids: [APIKeyID]
    /// How many days without use the rule asked for.
    public var unusedDays: Int
    public var at: Timestamp
    public init(ids: [APIKeyID], unusedDays: Int, at: Timestamp) {
        self.ids = ids
        self.unusedDays = unusedDays
        self.at = at
    }
}

/// A change to a desktop's name and/or status.
public struct DesktopChange: Hashable, Sendable, Codable {
    public var id: DesktopID
    public var name: String?
    public var status: DesktopStatus?
    public var at: Timestamp
    public init(id: DesktopID, name: String?, status: DesktopStatus?, at: Timestamp) {
        self.id = id
        self.name = name
        self.status = status
        self.at = at
    }
}

/// Deletion of a desktop.
public struct DesktopDeletion: Hashable, Sendable, Codable {
    public var id: DesktopID
    public var at: Timestamp
    public init(id: DesktopID, at: Timestamp) {
        self.id = id
        self.at = at
    }
}

/// Creation of a task, with the idempotency record that remembers it when the client sent a key.
public struct TaskCreation: Hashable, Sendable, Codable {
    public var task: MissionTask
    public var idempotency: IdempotencyRecord?
    public init(task: MissionTask, idempotency: IdempotencyRecord?) {
        self.task = task
        self.idempotency = idempotency
    }
}

/// A status transition of a task (and its result, when given).
public struct TaskChange: Hashable, Sendable, Codable {
    public var id: TaskID
    public var status: TaskStatus
    /// `nil` leaves the result as it was.
    public var result: String?
    public var at: Timestamp
    public init(id: TaskID, status: TaskStatus, result: String?, at: Timestamp) {
        self.id = id
        self.status = status
        self.result = result
        self.at = at
    }
}

/// The expiry of every idempotency record whose retention is over at `at`.
public struct IdempotencyExpiry: Hashable, Sendable, Codable {
    public var at: Timestamp
    public init(at: Timestamp) {
        self.at = at
    }
}
