import Foundation

/// Identifies a browser session. Public: it names the session in logs, in the store and in the stream
/// hub; the secret that proves a session is the cookie's value, which is never kept anywhere.
public struct SessionID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// What the store keeps of a browser session: who it is for, when it started and was last used, and the
/// SHA-256 digest of its secret (the cookie's value), never the secret itself.
public struct SessionRecord: Hashable, Sendable, Codable {
    public var id: SessionID
    public var userID: UserID
    /// SHA-256 of the cookie's value: the record a request is found by.
    public var digest: SessionDigest
    public var createdAt: Timestamp
    /// The latest request the session authenticated, as last written (requests move it in memory first).
    public var lastSeenAt: Timestamp

    public init(id: SessionID, userID: UserID, digest: SessionDigest, createdAt: Timestamp, lastSeenAt: Timestamp) {
        self.id = id
        self.userID = userID
        self.digest = digest
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// How long a session lives: it ends `idleMilliseconds` after its last use, and `absoluteMilliseconds`
/// after it started whatever its use.
public struct SessionLifetime: Hashable, Sendable {
    /// `auth.session_idle_seconds` in milliseconds.
    public var idleMilliseconds: Int64
    /// `auth.session_absolute_seconds` in milliseconds.
    public var absoluteMilliseconds: Int64

    /// A lifetime given in seconds.
    public init(idleSeconds: Int, absoluteSeconds: Int) {
        idleMilliseconds = Int64(idleSeconds) * 1000
        absoluteMilliseconds = Int64(absoluteSeconds) * 1000
    }

    /// The defaults: 24 hours idle, 7 days in all.
    public static let standard = SessionLifetime(idleSeconds: 86_400, absoluteSeconds: 7 * 86_400)

    /// Whether a session started at `createdAt` and last used at `lastSeenAt` is over at `now`.
    public func hasExpired(createdAt: Timestamp, lastSeenAt: Timestamp, at now: Timestamp) -> Bool {
        now.millisecondsSinceEpoch - lastSeenAt.millisecondsSinceEpoch >= idleMilliseconds
            || now.millisecondsSinceEpoch - createdAt.millisecondsSinceEpoch >= absoluteMilliseconds
    }
}
