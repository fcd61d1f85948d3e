/// Where an activity event sits in the history: the log sequence of the mutation that produced it, and
/// its position among that mutation's events (a desktop deletion produces one event for the desktop and
/// one for each task it cancelled). Ordered by sequence, then index, so ids are strictly increasing.
///
/// Written `"<sequence>"` for a mutation's first event and `"<sequence>.<index>"` for the others.
public struct ActivityEventID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The log sequence of the mutation.
    public var sequence: UInt64
    /// The position among the mutation's events (0 for the first).
    public var index: UInt32

    /// The id of the `index`th event of mutation `sequence`.
    public init(sequence: UInt64, index: UInt32 = 0) {
        self.sequence = sequence
        self.index = index
    }

    /// Parses `"123"` or `"123.2"` (digits only, no sign, no spaces); `nil` for anything else.
    public init?(_ description: String) {
        let parts = description.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 20 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let sequence = UInt64(parts[0])
        else { return nil }
        var index: UInt32 = 0
        if parts.count == 2 {
            guard let parsed = UInt32(parts[1]), parsed > 0 else { return nil }
            index = parsed
        }
        self.init(sequence: sequence, index: index)
    }

    /// `"<sequence>"`, or `"<sequence>.<index>"` after a mutation's first event.
    public var description: String { index == 0 ? String(sequence) : "\(sequence).\(index)" }

    /// By sequence, then index.
    public static func < (lhs: ActivityEventID, rhs: ActivityEventID) -> Bool {
        (lhs.sequence, lhs.index) < (rhs.sequence, rhs.index)
    }
}

/// The kinds of activity events, named as the stream names them.
public enum ActivityKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// A task was created.
    case taskCreated = "task.created"
    /// A task changed status (also when its desktop's deletion cancelled it).
    case taskUpdated = "task.updated"
    /// A desktop was created.
    case desktopCreated = "desktop.created"
    /// A desktop was renamed or changed status.
    case desktopUpdated = "desktop.updated"
    /// A desktop was deleted (the event shows it as it was).
    case desktopDeleted = "desktop.deleted"
    /// An API key was created.
    case apiKeyCreated = "api_key.created"
    /// An API key was revoked.
    case apiKeyRevoked = "api_key.revoked"
    /// An API key was rolled: a successor replaced it, and it expires after a grace period.
    case apiKeyRolled = "api_key.rolled"
    /// An API key was revoked because someone reported it leaked.
    case apiKeyLeaked = "api_key.leaked"
    /// An API key was revoked because it went unused for `auth.unused_key_days`.
    case apiKeyRevokedUnused = "api_key.revoked_unused"
}

/// What an API key event shows of the key: never its secret or hash.
public struct APIKeySummary: Hashable, Sendable, Codable {
    /// The key's id.
    public var id: APIKeyID
    /// The key's name.
    public var name: String
    /// The key's last four characters.
    public var lastFour: String
    /// When the key was created.
    public var createdAt: Timestamp

    /// A summary given field by field.
    public init(id: APIKeyID, name: String, lastFour: String, createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.lastFour = lastFour
        self.createdAt = createdAt
    }

    /// The summary of `key`.
    public init(_ key: APIKeyRecord) {
        self.init(id: key.id, name: key.name, lastFour: key.lastFour, createdAt: key.createdAt)
    }

    /// The masked form the API shows, e.g. `lb_k_...9f3a`.
    public var preview: String { "lb_k_..." + lastFour }
}

/// The resource an event is about, as it was right after the change.
///
/// One pointer wide: a task is one already (and shares the block of the task as stored until the task
/// changes); the rarer desktop and key events keep their subject in a box of its own.
public enum ActivitySubject: Hashable, Sendable, Codable {
    /// A task event's task.
    case task(MissionTask)
    /// A desktop event's desktop.
    indirect case desktop(Desktop)
    /// A key event's key, without its secret.
    indirect case apiKey(APIKeySummary)
}

/// One entry of a user's activity: a change to one of their resources.
public struct ActivityEvent: Hashable, Sendable, Codable {
    /// Its place in the history (strictly increasing).
    public var id: ActivityEventID
    /// What happened.
    public var kind: ActivityKind
    /// When the change happened (the mutation's time).
    public var at: Timestamp
    /// The user the event belongs to; no other user ever sees it.
    public var userID: UserID
    /// The resource the event is about.
    public var subject: ActivitySubject

    /// An event given field by field.
    public init(id: ActivityEventID, kind: ActivityKind, at: Timestamp, userID: UserID, subject: ActivitySubject) {
        self.id = id
        self.kind = kind
        self.at = at
        self.userID = userID
        self.subject = subject
    }
}
