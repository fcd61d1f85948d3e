/// A key just created: its record, and its plaintext, which exists outside this answer never again.
public struct CreatedAPIKey: Sendable {
    public var record: APIKeyRecord
    public var plaintext: String
}

extension Operations {
    /// Creates a random key for the requester's user: the name a display name, the expiry (if any) in the
    /// future and within `auth.max_key_lifetime_days` (both judged again at the commit's time), at most
    /// `auth.max_keys_per_user` usable keys (409 `api_key_limit_reached`, checked before bcrypt and again
    /// in the commit), the acting credential still active when the key is committed.
    public func createAPIKey(_ input: NewAPIKey, by requester: Requester) async throws -> CreatedAPIKey {
        let draft = try input.validated()
        // The cheap refusals first, so a request that cannot succeed never pays bcrypt.
        let now = store.now()
        _ = try checkedExpiry(draft.expiry, at: now)
        try read(by: requester) { state in
            try requireChangeScope(requester, in: state)
            try requireRoomForKey(of: requester.userID, in: state, at: now)
        }
        let material = try await minter.mint()
        return CreatedAPIKey(record: try await insertKey(draft, material, by: requester), plaintext: material.plaintext)
    }

    /// Creates the key `plaintext` for the requester's user (a seed's key): refused with a problem on
    /// `key` when it is not a valid key.
    public func importAPIKey(_ input: NewAPIKey, plaintext: String, by requester: Requester) async throws -> APIKeyRecord {
        let draft = try input.validated()
        try read(by: requester) { state in try requireRoomForKey(of: requester.userID, in: state, at: store.now()) }
        guard let material = try await minter.material(of: plaintext) else {
            throw StoreError.invalidInput([FieldProblem(field: "key", message: "is not a valid lb_k_ key (length, characters or checksum)")])
        }
        return try await insertKey(draft, material, by: requester)
    }

    /// Creates a key from material minted beforehand (bulk seeding hashes many keys at once).
    public func createAPIKey(_ input: NewAPIKey, material: MintedAPIKey, by requester: Requester) async throws -> APIKeyRecord {
        try await insertKey(try input.validated(), material, by: requester)
    }

    /// Makes key material without creating a record (bulk seeding: mint many, then create them).
    public func mintAPIKey() async throws -> MintedAPIKey {
        try await minter.mint()
    }

    /// Revokes one of the requester's keys: an unknown, already revoked or expired key is 404, another
    /// user's 403. A key may revoke itself; what was in flight with it is refused from this commit on.
    public func revokeAPIKey(_ id: String, by requester: Requester) async throws {
        let keyID = APIKeyID(id)
        try await commit(by: requester) { state, _, now in
            let key = try ownUsableKey(keyID, of: requester, in: state, at: now)
            return (.apiKeyRevoked(APIKeyRevocation(id: key.id, at: now)), ())
        }
    }

    /// Revokes any user's key (the operator's `keys revoke`): an unknown id is 404, an already revoked key
    /// 409 `already_revoked`. Returns the key as it was.
    public func revokeAPIKeyAsOperator(_ id: String) async throws -> APIKeyRecord {
        try await store.commit { state, _, now -> (Mutation?, APIKeyRecord) in
            guard let keyID = APIKeyID(id), let key = state.apiKeys[keyID] else { throw StoreError.notFound("API key") }
            guard key.isActive else { throw StoreError.conflict(code: "already_revoked", detail: "API key \(keyID) is already revoked.") }
            return (.apiKeyRevoked(APIKeyRevocation(id: keyID, at: now)), key)
        }
    }

    /// Rolls one of the requester's keys: a new key (returned with its plaintext, this once) of the same
    /// name and scope replaces it, and the old key expires `graceSeconds` from now (or at its own expiry if
    /// that comes first). An unknown, revoked or expired key is 404, another user's 403, a key already rolled
    /// 409 `api_key_expiring`; with a grace period the successor needs room under `auth.max_keys_per_user`.
    /// The successor keeps the old key's lifetime (from its creation to its expiry) when it had one, capped
    /// by `auth.max_key_lifetime_days`. All of it is checked again in the commit, after bcrypt.
    public func rollAPIKey(_ id: String, _ input: APIKeyRollRequest, by requester: Requester) async throws -> CreatedAPIKey {
        let grace = try input.validated()
        let keyID = APIKeyID(id)
        try read(by: requester) { state in
            try requireChangeScope(requester, in: state)
            _ = try rollable(keyID, of: requester, grace: grace, in: state, at: store.now())
        }
        let material = try await minter.mint()
        let record = try await commit(by: requester) { state, _, now in
            let key = try rollable(keyID, of: requester, grace: grace, in: state, at: now)
            guard state.activeKey(lookupID: material.lookupID) == nil else {
                throw StoreError.conflict(code: "conflict", detail: "Key id collision; retry.")
            }
            var successorExpiry: Timestamp?
            if let expiresAt = key.expiresAt {
                var lifetime = expiresAt.millisecondsSinceEpoch - key.createdAt.millisecondsSinceEpoch
                if let days = policy.maxKeyLifetimeDays { lifetime = min(lifetime, Int64(days) * InputRules.millisecondsPerDay) }
                successorExpiry = now.adding(milliseconds: max(lifetime, 1))
            } else {
                successorExpiry = try checkedExpiry(nil, at: now)
            }
            let successor = APIKeyRecord(
                id: .random(),
                userID: key.userID,
                name: key.name,
                lookupID: material.lookupID,
                secretHash: material.secretHash,
                lastFour: material.lastFour,
                createdAt: now,
                expiresAt: successorExpiry,
                scope: key.scope
            )
            let graceEnd = now.adding(milliseconds: Int64(grace) * 1000)
            let oldExpiry = key.expiresAt.map { min($0, graceEnd) } ?? graceEnd
            return (.apiKeyRolled(APIKeyRoll(id: key.id, expiresAt: oldExpiry, successor: successor, at: now)), successor)
        }
        return CreatedAPIKey(record: record, plaintext: material.plaintext)
    }

    /// The key `id` if it is one of the requester's usable keys at `now`: 404 unless it exists, is active and
    /// has not expired (an id that does not parse is unknown); 403 if another user's. The one rule behind
    /// reading, revoking and rolling a key.
    private func ownUsableKey(
        _ id: APIKeyID?,
        of requester: Requester,
        in state: borrowing StoreState,
        at now: Timestamp
    ) throws(StoreError) -> APIKeyRecord {
        guard let id, let key = state.apiKeys[id], key.isUsable(at: now) else { throw StoreError.notFound("API key") }
        guard key.userID == requester.userID else { throw StoreError.forbidden("API key") }
        return key
    }

    /// The key `id` if the requester may roll it at `now`: 404 unless it exists, is active and has not
    /// expired; 403 unless it is the requester's; 409 if it was rolled already; 409 at the key cap when the
    /// grace period keeps both keys usable.
    private func rollable(
        _ id: APIKeyID?,
        of requester: Requester,
        grace: Int,
        in state: borrowing StoreState,
        at now: Timestamp
    ) throws(StoreError) -> APIKeyRecord {
        let key = try ownUsableKey(id, of: requester, in: state, at: now)
        guard !key.isRolled else {
            throw StoreError.conflict(
                code: "api_key_expiring",
                detail: "API key \(key.id) was rolled already and expires at the end of its grace period."
            )
        }
        if grace > 0 { try requireRoomForKey(of: requester.userID, in: state, at: now) }
        return key
    }

    /// Revokes a key someone reported leaked (its plaintext was shown to match), whoever owns it, telling
    /// the owner with an `api_key.leaked` event. A key revoked or expired meanwhile is left as it is.
    /// Returns whether it revoked the key.
    public func revokeLeakedKey(_ id: APIKeyID) async throws -> Bool {
        try await store.commit { state, _, now -> (Mutation?, Bool) in
            guard let key = state.apiKeys[id], key.isUsable(at: now) else { return (nil, false) }
            return (.apiKeyLeaked(APIKeyRevocation(id: id, at: now)), true)
        }
    }

    /// Most keys one ``Mutation/apiKeysRevokedUnused(_:)`` revokes: a sweep of many keys writes several
    /// records, none of them large, and never holds the store for long.
    public static let unusedKeysPerRecord = 1000

    /// Revokes every usable key not used for `auth.unused_key_days` (``OperationPolicy/isUnused(_:lastUsed:at:)``),
    /// whoever owns it, each owner told by an `api_key.revoked_unused` event; returns how many it revoked.
    /// Each batch is decided inside its commit, so a key used meanwhile is left alone. Nothing when the rule
    /// is not configured.
    @discardableResult
    public func revokeUnusedKeys() async throws -> Int {
        guard let days = policy.unusedKeyDays, days > 0 else { return 0 }
        var revoked = 0
        while true {
            let batch = try await store.commit { state, _, now -> (Mutation?, Int) in
                var ids: [APIKeyID] = []
                for key in state.apiKeys.values where key.isActive {
                    let id = key.id
                    guard key.isUsable(at: now), policy.isUnused(key, lastUsed: keyLastUsed(key), at: now) else {
                        continue
                    }
                    ids.append(id)
                    if ids.count == Self.unusedKeysPerRecord { break }
                }
                guard !ids.isEmpty else { return (nil, 0) }
                // A stable order, so a replay's events come out as the live ones did.
                ids.sort { $0.description < $1.description }
                return (.apiKeysRevokedUnused(UnusedKeysRevocation(ids: ids, unusedDays: days, at: now)), ids.count)
            }
            revoked += batch
            if batch < Self.unusedKeysPerRecord { return revoked }
        }
    }

    /// The requester's active keys (neither revoked nor expired), oldest first, each with its stored usage.
    public func activeAPIKeysWithUsage(by requester: Requester) throws -> [(key: APIKeyRecord, usage: KeyUsageHistory?)] {
        let now = store.now()
        return try read(by: requester) { state in state.usableKeys(of: requester.userID, at: now).map { ($0, state.keyUsage[$0.id]) } }
    }

    /// One of the requester's keys with its stored usage: an unknown, revoked or expired key is 404, another
    /// user's 403 (as for revocation).
    public func apiKeyWithUsage(_ id: String, by requester: Requester) throws -> (key: APIKeyRecord, usage: KeyUsageHistory?) {
        let now = store.now()
        return try read(by: requester) { state in
            let key = try ownUsableKey(APIKeyID(id), of: requester, in: state, at: now)
            return (key, state.keyUsage[key.id])
        }
    }

    /// The requester's active keys (neither revoked nor expired), oldest first.
    public func activeAPIKeys(by requester: Requester) throws -> [APIKeyRecord] {
        let now = store.now()
        return try read(by: requester) { $0.usableKeys(of: requester.userID, at: now) }
    }

    /// The expiry instant a draft asks for, judged at `now` (``InputRules/keyExpiry(_:now:maxLifetimeDays:)``).
    /// None asked: never, or `auth.max_key_lifetime_days` from `now` when that is set (no key outlives it).
    private func checkedExpiry(_ expiry: KeyExpiryRequest?, at now: Timestamp) throws(StoreError) -> Timestamp? {
        guard let expiry else {
            return policy.maxKeyLifetimeDays.map { now.adding(milliseconds: Int64($0) * InputRules.millisecondsPerDay) }
        }
        let field = if case .afterDays = expiry { "expiresInDays" } else { "expiresAt" }
        switch InputRules.keyExpiry(expiry.instant(from: now), now: now, maxLifetimeDays: policy.maxKeyLifetimeDays) {
        case .success(let time): return time
        case .failure(let violation): throw StoreError.invalidInput([FieldProblem(field: field, message: violation.message)])
        }
    }

    private func insertKey(
        _ draft: APIKeyDraft,
        _ material: MintedAPIKey,
        by requester: Requester
    ) async throws -> APIKeyRecord {
        try await commit(by: requester) { state, _, now in
            let expiresAt = try checkedExpiry(draft.expiry, at: now)
            try requireRoomForKey(of: requester.userID, in: state, at: now)
            guard state.activeKey(lookupID: material.lookupID) == nil else {
                throw StoreError.conflict(code: "conflict", detail: "Key id collision; retry.")
            }
            let record = APIKeyRecord(
                id: .random(),
                userID: requester.userID,
                name: draft.name,
                lookupID: material.lookupID,
                secretHash: material.secretHash,
                lastFour: material.lastFour,
                createdAt: now,
                expiresAt: expiresAt,
                scope: draft.scope
            )
            return (.apiKeyCreated(record), record)
        }
    }

    /// The user exists and holds fewer than `auth.max_keys_per_user` usable keys at `now`.
    private func requireRoomForKey(of userID: UserID, in state: borrowing StoreState, at now: Timestamp) throws(StoreError) {
        guard state.users[userID] != nil else { throw StoreError.notFound("User") }
        let cap = policy.maxKeysPerUser
        // Usable keys are a subset of the active ones: below the cap in active keys, no key need be looked
        // at (a user with many keys would otherwise pay for all of them on each creation).
        if state.activeKeyCount(of: userID) < cap { return }
        guard state.usableKeyCount(of: userID, at: now) < cap else {
            throw StoreError.conflict(
                code: "api_key_limit_reached",
                detail: "An account may hold at most \(cap) active API keys; revoke one first."
            )
        }
    }
}
