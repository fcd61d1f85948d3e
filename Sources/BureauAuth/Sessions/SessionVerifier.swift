import BureauStore

/// The answer to "which session does this cookie prove?".
public enum SessionVerification: Sendable, Equatable {
    /// A live session within both timeouts.
    case valid(userID: UserID, sessionID: SessionID)
    /// Anything else: malformed, unknown, ended, or past a timeout. Callers answer all of these alike.
    case invalid
}

/// Verifies session cookies against the store, enforces the idle and absolute timeouts on every request,
/// notes each use, and, periodically, writes the uses and prunes expired sessions.
public final class SessionVerifier: Sendable {
    private let store: BureauStore
    /// The timeouts (`auth.session_idle_seconds`, `auth.session_absolute_seconds`).
    public let lifetime: SessionLifetime
    /// Where each successful use is noted, for the idle timeout.
    public let usage: SessionUsageRecorder

    /// A verifier of sessions in `store` that live as long as `lifetime` allows.
    public init(store: BureauStore, lifetime: SessionLifetime) {
        self.store = store
        self.lifetime = lifetime
        self.usage = SessionUsageRecorder(store: store)
    }

    /// Checks the value of a session cookie. A digest lookup, no hashing beyond one SHA-256, no waiting.
    public func verify(_ cookieValue: some StringProtocol) -> SessionVerification {
        guard let secret = SessionSecret.parse(cookieValue) else { return .invalid }
        guard let record = store.read({ $0.session(digest: secret.digest) }) else { return .invalid }
        let now = store.now()
        guard !lifetime.hasExpired(createdAt: record.createdAt, lastSeenAt: usage.lastSeen(record), at: now) else { return .invalid }
        usage.record(record.id, at: now)
        return .valid(userID: record.userID, sessionID: record.id)
    }

    /// Writes the uses noted since the last call, then ends every session past a timeout (one mutation),
    /// so memory and snapshots hold live sessions only. Returns the ids pruned.
    @discardableResult
    public func flushAndPrune() async throws -> [SessionID] {
        try await usage.flush()
        let (lifetime, usage) = (lifetime, usage)
        return try await store.commit { state, _, now -> (Mutation?, [SessionID]) in
            let expired = state.expiredSessions(at: now, lifetime: lifetime) { usage.lastSeen($0) }
            return (expired.isEmpty ? nil : .sessionsPruned(SessionPruning(ids: expired, at: now)), expired)
        }
    }
}
