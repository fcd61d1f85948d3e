/// The numbers the operations enforce, from the configuration.
public struct OperationPolicy: Sendable, Hashable {
    /// `auth.max_keys_per_user`: active keys one user may hold.
    public var maxKeysPerUser: Int
    /// `auth.session_idle_seconds` / `auth.session_absolute_seconds`.
    public var sessionLifetime: SessionLifetime
    /// `auth.max_key_lifetime_days`: how far ahead a key's `expiresAt` may lie, and the expiry of a key
    /// created without one; `nil`, keys may never expire.
    public var maxKeyLifetimeDays: Int?
    /// `auth.unused_key_days`: a key not used for that many days (counted from its creation when never
    /// used) is flagged unused; `nil`, none is.
    public var unusedKeyDays: Int?

    public init(
        maxKeysPerUser: Int = 100,
        sessionLifetime: SessionLifetime = .standard,
        maxKeyLifetimeDays: Int? = nil,
        unusedKeyDays: Int? = nil
    ) {
        self.maxKeysPerUser = maxKeysPerUser
        self.sessionLifetime = sessionLifetime
        self.maxKeyLifetimeDays = maxKeyLifetimeDays
        self.unusedKeyDays = unusedKeyDays
    }

    /// Whether `key`, last used at `lastUsed` (`nil`: never), counts as unused at `now` under
    /// ``unusedKeyDays`` (always `false` when that is not set).
    public func isUnused(_ key: APIKeyRecord, lastUsed: Timestamp?, at now: Timestamp) -> Bool {
        guard let days = unusedKeyDays, days > 0 else { return false }
        let since = lastUsed ?? key.createdAt
        return now.millisecondsSinceEpoch - since.millisecondsSinceEpoch >= Int64(days) * 86_400_000
    }
}

/// Everything a user or the operator can do, one function each: every function checks its input with
/// ``InputRules``, builds its records, commits them through the store and returns a typed error
/// (``StoreError``). The HTTP controllers, the command line and the seeders only translate to and from it.
///
/// A rule that depends on state (the acting credential still active, the key cap not reached, the desktop
/// still there) is checked inside the same commit as the change, under the store's order: a request whose
/// key is revoked or whose session ends while it is in flight changes nothing and is refused with
/// ``StoreError/credentialEnded(_:)``. Reads check the credential too, under the same lock as the read.
public struct Operations: Sendable {
    public let store: BureauStore
    public let policy: OperationPolicy
    let minter: any APIKeyMinter
    /// The latest use of a session, including one noted in memory but not yet written.
    let sessionLastSeen: @Sendable (SessionRecord) -> Timestamp
    /// The latest use of a key, including one noted in memory but not yet written (`nil`: never used).
    let keyLastUsed: @Sendable (APIKeyRecord) -> Timestamp?

    /// Operations over `store`; `minter` makes key material; `sessionLastSeen` gives a session's latest use
    /// (the idle timeout counts from it); `keyLastUsed` a key's (the unused-key rule counts from it).
    public init(
        store: BureauStore,
        policy: OperationPolicy = OperationPolicy(),
        minter: any APIKeyMinter,
        sessionLastSeen: @escaping @Sendable (SessionRecord) -> Timestamp = { $0.lastSeenAt },
        keyLastUsed: @escaping @Sendable (APIKeyRecord) -> Timestamp? = { $0.lastUsedAt }
    ) {
        self.store = store
        self.policy = policy
        self.minter = minter
        self.sessionLastSeen = sessionLastSeen
        self.keyLastUsed = keyLastUsed
    }

    /// Throws ``StoreError/credentialEnded(_:)`` unless `requester` is the operator or a user whose
    /// credential is still active in `state` at `now`: the key neither revoked nor expired, the session not ended and
    /// within both timeouts, and either one still the user's.
    func requireActive(_ requester: Requester, in state: borrowing StoreState, at now: () -> Timestamp) throws(StoreError) {
        guard case .user(let principal) = requester else { return }
        switch principal.credential {
        case .apiKey(let id):
            guard let key = state.apiKeys[id], key.isActive, key.userID == principal.userID else {
                throw StoreError.credentialEnded(principal.credential)
            }
            // The clock only for a key that can expire.
            if key.expiresAt != nil, key.hasExpired(at: now()) { throw StoreError.credentialEnded(principal.credential) }
        case .session(let id):
            guard let session = state.sessions[id], session.userID == principal.userID,
                !policy.sessionLifetime.hasExpired(createdAt: session.createdAt, lastSeenAt: sessionLastSeen(session), at: now())
            else { throw StoreError.credentialEnded(principal.credential) }
        }
        // No user lookup: a key or session record exists only for an existing user (the store validates
        // that), users are never deleted, and the record's user was compared above.
    }

    /// Runs `body` on the current state after checking the requester's credential, under the read lock.
    /// The clock is read only for a session (its timeouts) or a key that can expire: any other API-key read
    /// pays one dictionary lookup.
    func read<Result>(by requester: Requester, _ body: (borrowing StoreState) throws -> Result) throws -> Result {
        try store.read { state in
            try requireActive(requester, in: state, at: store.now)
            return try body(state)
        }
    }

    /// Throws ``StoreError/insufficientScope`` when `requester` acts with a `read` key: every commit a user
    /// makes changes state, so this one rule, on the one path of every user's change, covers them all.
    func requireChangeScope(_ requester: Requester, in state: borrowing StoreState) throws(StoreError) {
        guard case .user(let principal) = requester, case .apiKey(let id) = principal.credential else { return }
        if let key = state.apiKeys[id], !key.scope.allowsChanges { throw StoreError.insufficientScope }
    }

    /// Commits what `plan` decides after checking the requester's credential (active, and allowed to change
    /// state) inside the same commit.
    func commit<Output: Sendable>(
        by requester: Requester,
        _ plan: @Sendable (borrowing StoreState, _ sequence: UInt64, _ now: Timestamp) throws -> (Mutation?, Output)
    ) async throws -> Output {
        try await store.commit { state, sequence, now in
            try requireActive(requester, in: state, at: { now })
            try requireChangeScope(requester, in: state)
            return try plan(state, sequence, now)
        }
    }
}
