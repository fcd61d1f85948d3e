import BureauStore
import Crypto
import Synchronization

/// The answer to "who does this key belong to?".
public enum APIKeyVerification: Sendable, Equatable {
    /// The key is active and its secret matches.
    case valid(userID: UserID, keyID: APIKeyID)
    /// Anything else: wrong shape, bad checksum, unknown, revoked, wrong secret. Callers answer all of
    /// these the same way and never say which applied.
    case invalid
}

/// Verifies presented API keys. Pays bcrypt once per key per process: after a successful check the key's
/// SHA-256 digest is remembered and later requests compare digests (constant time) instead.
/// The store is consulted first on every request, so a revoked key fails on the very next request
/// whatever the cache holds; revocation also drops the digest.
public final class APIKeyVerifier: Sendable {
    private let store: BureauStore
    private let hasher: APIKeyHasher
    private let verifiedDigests: Mutex<[APIKeyID: SHA256Digest]>
    /// bcrypt checks under way, by the digest of the key presented: concurrent requests with the same
    /// uncached key (a client opening many connections at once) share one check instead of queuing one each.
    private let checksInFlight = Mutex<[SHA256Digest: Task<Bool, Never>]>([:])
    /// Where each successful use is noted, for `lastUsedAt`.
    public let usage: KeyUsageRecorder

    /// A verifier reading keys from `store`.
    public init(store: BureauStore, hasher: APIKeyHasher) {
        self.store = store
        self.hasher = hasher
        self.verifiedDigests = Mutex([:])
        self.usage = KeyUsageRecorder(store: store)
        store.observe { [weak self] committed in
            if case .apiKeyRevoked(let revocation) = committed.mutation {
                _ = self?.verifiedDigests.withLock { $0.removeValue(forKey: revocation.id) }
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
            return verdictWithoutHashing(lookupID: APIKeyFormat.lookupID(ofWellFormed: bytes)) {
                SHA256.hash(data: UnsafeRawBufferPointer(bytes))
            }.verdict
        }
    }

    /// Checks a key whose shape is already known to be right.
    public func verify(_ key: ParsedAPIKey) async -> APIKeyVerification {
        let (verdict, record) = verdictWithoutHashing(lookupID: key.lookupID) { Self.digest(of: key) }
        if let verdict { return verdict }
        guard let record else { return .invalid }
        guard await check(key, against: record) else { return .invalid }
        usage.record(record.id, at: store.now())
        return .valid(userID: record.userID, keyID: record.id)
    }

    /// Whether `key` is `record`'s key, by bcrypt, the key still active afterwards; caches its digest when
    /// it is. One check per distinct presented key at a time: a request arriving while the same key is being
    /// checked waits for that check.
    private func check(_ key: ParsedAPIKey, against record: APIKeyRecord) async -> Bool {
        let digest = Self.digest(of: key)
        let flight = checksInFlight.withLock { flights -> Task<Bool, Never>? in
            if let running = flights[digest] { return running }
            // A check that ended since this request looked at the cache has cached its digest (before it
            // left this map): no second bcrypt for it.
            if verifiedDigests.withLock({ $0[record.id] }) == digest { return nil }
            let started = Task { [hasher, store] in
                let matches = (try? await hasher.verify(key, hash: record.secretHash)) == true
                // The key may have been revoked while bcrypt ran: look again before trusting and caching it.
                let active = matches && store.read({ $0.activeKey(lookupID: key.lookupID)?.id }) == record.id
                if active { self.verifiedDigests.withLock { $0[record.id] = digest } }
                self.checksInFlight.withLock { _ = $0.removeValue(forKey: digest) }
                return active
            }
            flights[digest] = started
            return started
        }
        guard let flight else { return true }
        return await flight.value
    }

    /// The verdict from the store and the digest cache alone, or `nil` with the key's record when bcrypt
    /// must decide. `digest` (of the whole presented key) is computed only when a cached digest awaits it.
    private func verdictWithoutHashing(
        lookupID: String,
        digest: () -> SHA256Digest
    ) -> (verdict: APIKeyVerification?, record: APIKeyRecord?) {
        guard let record = store.read({ $0.activeKey(lookupID: lookupID) }) else { return (.invalid, nil) }
        guard let cached = verifiedDigests.withLock({ $0[record.id] }) else { return (nil, record) }
        // SHA256Digest's == compares in constant time.
        guard cached == digest() else { return (.invalid, record) }
        usage.record(record.id, at: store.now())
        return (.valid(userID: record.userID, keyID: record.id), record)
    }

    /// Remembers a key that was just created (its plaintext is in hand), so its first use costs no bcrypt.
    public func rememberVerified(_ key: ParsedAPIKey, id: APIKeyID) {
        let digest = Self.digest(of: key)
        verifiedDigests.withLock { $0[id] = digest }
    }

    /// Number of keys currently recognised without bcrypt (for tests and metrics).
    public var cachedKeyCount: Int { verifiedDigests.withLock { $0.count } }

    /// SHA-256 of the key's bytes, hashed in place (no copy of the key into an array on every request).
    private static func digest(of key: ParsedAPIKey) -> SHA256Digest {
        var plaintext = key.plaintext
        return plaintext.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    }
}
