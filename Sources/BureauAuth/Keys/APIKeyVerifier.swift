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
        let digest = Self.digest(of: key)
        guard (try? await hasher.verify(key, hash: record.secretHash)) == true else { return .invalid }
        // The key may have been revoked while bcrypt ran: look again before trusting and caching it.
        guard store.read({ $0.activeKey(lookupID: key.lookupID)?.id }) == record.id else { return .invalid }
        verifiedDigests.withLock { $0[record.id] = digest }
        usage.record(record.id, at: store.now())
        return .valid(userID: record.userID, keyID: record.id)
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
