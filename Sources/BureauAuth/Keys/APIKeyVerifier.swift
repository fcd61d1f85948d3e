import BureauStore
import CoreMetrics
import Crypto
import Synchronization

/// The answer to "who does this key belong to?".
public enum APIKeyVerification: Sendable, Equatable {
    /// The key is active and its secret matches.
    case valid(userID: UserID, keyID: APIKeyID)
    /// Anything else: wrong shape, bad checksum, unknown, revoked, expired, wrong secret. Callers answer all of
    /// these the same way and never say which applied.
    case invalid
}

/// What checking a key that the digest cache could not decide came to.
public enum KeyCheckResult: Sendable, Equatable {
    /// Decided without this request running bcrypt: from the store or the cache, or by joining a check of
    /// the same key that another request started.
    case decided(APIKeyVerification)
    /// Decided by a bcrypt check this request started (after its `admit` allowed it).
    case checked(APIKeyVerification)
    /// A check was needed and `admit` refused to start it.
    case notAdmitted
}

/// Verifies presented API keys. Pays bcrypt once per key per process: after a successful check the key's
/// SHA-256 digest is remembered and later requests compare digests (constant time) instead.
/// The store is consulted first on every request, so a revoked key fails on the very next request
/// whatever the cache holds; revocation also drops the digest. An expired key fails from its instant on,
/// cached or not: its record carries `expiresAt`, compared with the store's clock (which every verdict
/// reads anyway, for `lastUsedAt`), so the check costs no lock and no lookup of its own.
public final class APIKeyVerifier: Sendable {
    private let store: BureauStore
    private let hasher: APIKeyHasher
    private let verifiedDigests: Mutex<[APIKeyID: SHA256Digest]>
    /// bcrypt checks under way, by the digest of the key presented: concurrent requests with the same
    /// uncached key (a client opening many connections at once) share one check instead of queuing one each.
    private let checksInFlight = Mutex<[SHA256Digest: Task<Bool, Never>]>([:])
    /// Where each successful use is noted, for `lastUsedAt`.
    public let usage: KeyUsageRecorder
    /// How long each bcrypt check takes.
    private let bcryptDuration: CoreMetrics.Timer?

    /// A verifier reading keys from `store`, timing its bcrypt checks in `bcryptDuration`.
    public init(store: BureauStore, hasher: APIKeyHasher, bcryptDuration: CoreMetrics.Timer? = nil) {
        self.bcryptDuration = bcryptDuration
        self.store = store
        self.hasher = hasher
        self.verifiedDigests = Mutex([:])
        self.usage = KeyUsageRecorder(store: store)
        store.observe { [weak self] committed in
            switch committed.mutation {
            case .apiKeyRevoked(let revocation), .apiKeyLeaked(let revocation):
                _ = self?.verifiedDigests.withLock { $0.removeValue(forKey: revocation.id) }
            case .apiKeysRevokedUnused(let revocation):
                self?.verifiedDigests.withLock { digests in for id in revocation.ids { digests.removeValue(forKey: id) } }
            default:
                break
            }
        }
    }

    /// Checks a presented key string (the `x-api-key` header, a bearer token, or the SSE query value).
    public func verify(_ presented: some StringProtocol) async -> APIKeyVerification {
        guard let key = APIKeyFormat.parse(presented) else { return .invalid }
        return await verify(key)
    }

    /// The verdict on a presented key when it needs no bcrypt (wrong shape, unknown or revoked, or a
    /// digest already verified: the case of nearly every request), without suspending; `nil` when only
    /// `verify` can decide, paying bcrypt once.
    ///
    /// The key is checked and hashed where it lies, without a copy: this runs on every request.
    public func verdictWithoutHashing(_ presented: some StringProtocol) -> APIKeyVerification? {
        var text = Substring(presented)
        return text.withUTF8 { bytes in
            guard APIKeyFormat.isWellFormed(bytes) else { return .invalid }
            return cachedVerdict(ofWellFormed: bytes)
        }
    }

    /// The verdict on a key whose shape and checksum were checked (``APIKeyFormat/isWellFormed(_:)``), from
    /// the store and the digest cache alone: `nil` when only bcrypt can decide. Does not suspend.
    /// A valid verdict counts as a use of the key from `client`.
    public func cachedVerdict(ofWellFormed bytes: UnsafeBufferPointer<UInt8>, client: IPAddress? = nil) -> APIKeyVerification? {
        verdictWithoutHashing(lookupID: APIKeyFormat.lookupID(ofWellFormed: bytes), client: client) {
            SHA256.hash(data: UnsafeRawBufferPointer(bytes))
        }.verdict
    }

    /// Checks a key whose shape is already known to be right.
    public func verify(_ key: ParsedAPIKey) async -> APIKeyVerification {
        switch await verify(key, client: nil, admittingCheck: { true }) {
        case .decided(let verdict), .checked(let verdict): verdict
        case .notAdmitted: .invalid
        }
    }

    /// Checks a presented key; a bcrypt check is started only if `admit` (called at most once, under a
    /// lock: it must be quick and must not call back into the verifier) allows it. A request presenting the
    /// same key as a check under way joins that check and is not asked.
    /// A valid verdict counts as a use of the key from `client`.
    public func verify(
        _ presented: some StringProtocol,
        client: IPAddress? = nil,
        admittingCheck admit: () -> Bool
    ) async -> KeyCheckResult {
        guard let key = APIKeyFormat.parse(presented) else { return .decided(.invalid) }
        return await verify(key, client: client, admittingCheck: admit)
    }

    private func verify(_ key: ParsedAPIKey, client: IPAddress?, admittingCheck admit: () -> Bool) async -> KeyCheckResult {
        let (verdict, record) = verdictWithoutHashing(lookupID: key.lookupID, client: client) { Self.digest(of: key) }
        if let verdict { return .decided(verdict) }
        guard let record else { return .decided(.invalid) }
        let (running, owned) = flight(checking: key, against: record, admit: admit)
        guard let running else {
            if owned { return .notAdmitted }
            usage.record(record.id, at: store.now(), client: client)
            return .decided(.valid(userID: record.userID, keyID: record.id))
        }
        guard await running.value else { return owned ? .checked(.invalid) : .decided(.invalid) }
        usage.record(record.id, at: store.now(), client: client)
        let valid = APIKeyVerification.valid(userID: record.userID, keyID: record.id)
        return owned ? .checked(valid) : .decided(valid)
    }

    /// The bcrypt check of `key` against `record`, the key still active afterwards (it caches its digest
    /// when it is): one check per distinct presented key at a time, so a request arriving while the same
    /// key is being checked joins that check. Returns the check and whether this call started it; no check
    /// and `owned` when `admit` refused; no check and not owned when a check that ended since this request
    /// looked at the cache has cached the digest (no second bcrypt for it).
    private func flight(
        checking key: ParsedAPIKey,
        against record: APIKeyRecord,
        admit: () -> Bool
    ) -> (flight: Task<Bool, Never>?, owned: Bool) {
        let digest = Self.digest(of: key)
        return checksInFlight.withLock { flights -> (Task<Bool, Never>?, Bool) in
            if let running = flights[digest] { return (running, false) }
            if verifiedDigests.withLock({ $0[record.id] }) == digest { return (nil, false) }
            guard admit() else { return (nil, true) }
            let started = Task { [hasher, store, bcryptDuration] in
                let began = ContinuousClock.now
                let matches = (try? await hasher.verify(key, hash: record.secretHash)) == true
                bcryptDuration?.recordNanoseconds((ContinuousClock.now - began).nanoseconds)
                // The key may have been revoked or have expired while bcrypt ran: look again before trusting
                // and caching it.
                let current = matches ? store.read({ $0.activeKey(lookupID: key.lookupID) }) : nil
                let active = current?.id == record.id && current?.hasExpired(at: store.now()) == false
                if active { self.verifiedDigests.withLock { $0[record.id] = digest } }
                self.checksInFlight.withLock { _ = $0.removeValue(forKey: digest) }
                return active
            }
            flights[digest] = started
            return (started, true)
        }
    }

    /// The verdict from the store and the digest cache alone, or `nil` with the key's record when bcrypt
    /// must decide. `digest` (of the whole presented key) is computed only when a cached digest awaits it.
    private func verdictWithoutHashing(
        lookupID: String,
        client: IPAddress?,
        digest: () -> SHA256Digest
    ) -> (verdict: APIKeyVerification?, record: APIKeyRecord?) {
        guard let record = store.read({ $0.activeKey(lookupID: lookupID) }) else { return (.invalid, nil) }
        let now = store.now()
        // Expired: refused like a revoked key, before any digest or bcrypt.
        guard !record.hasExpired(at: now) else { return (.invalid, nil) }
        guard let cached = verifiedDigests.withLock({ $0[record.id] }) else { return (nil, record) }
        // SHA256Digest's == compares in constant time.
        guard cached == digest() else { return (.invalid, record) }
        usage.record(record.id, at: now, client: client)
        return (.valid(userID: record.userID, keyID: record.id), record)
    }

    /// Remembers a key that was just created (its plaintext is in hand), so its first use costs no bcrypt.
    public func rememberVerified(_ key: ParsedAPIKey, id: APIKeyID) {
        let digest = Self.digest(of: key)
        verifiedDigests.withLock { $0[id] = digest }
    }

    /// Why a well-formed key with `lookupID` did not authenticate, as far as the store tells (for metrics:
    /// never said to the client): its key is expired, active (so the secret was wrong), revoked, or unknown.
    public func refusalReason(lookupID: String) -> AuthOutcome {
        let now = store.now()
        return store.read { state in
            if let key = state.activeKey(lookupID: lookupID) { return key.hasExpired(at: now) ? .expired : .wrongSecret }
            return state.isRevokedKey(lookupID: lookupID) ? .revoked : .unknown
        }
    }

    /// Whether the key may change state (its scope is `full`). Asked only for state-changing requests.
    public func allowsChanges(keyID: APIKeyID) -> Bool {
        store.read { $0.apiKeys[keyID]?.scope.allowsChanges ?? false }
    }

    /// The id of the usable key that `candidate` is, for a leak report: `nil` without any lookup for a
    /// string of the wrong shape or checksum, `nil` without bcrypt for a lookup id no usable key has; else
    /// the cached digest, or bcrypt, decides. Records no use of the key and counts no failure.
    public func usableKey(matching candidate: some StringProtocol) async -> APIKeyID? {
        guard let key = APIKeyFormat.parse(candidate) else { return nil }
        let now = store.now()
        guard let record = store.read({ $0.activeKey(lookupID: key.lookupID) }), !record.hasExpired(at: now) else { return nil }
        let digest = Self.digest(of: key)
        if let cached = verifiedDigests.withLock({ $0[record.id] }) { return cached == digest ? record.id : nil }
        guard (try? await hasher.verify(key, hash: record.secretHash)) == true else { return nil }
        return record.id
    }

    /// Number of keys currently recognised without bcrypt (for tests and metrics).
    public var cachedKeyCount: Int { verifiedDigests.withLock { $0.count } }

    /// SHA-256 of the key's bytes, hashed in place (no copy of the key into an array on every request).
    private static func digest(of key: ParsedAPIKey) -> SHA256Digest {
        var plaintext = key.plaintext
        return plaintext.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    }
}
