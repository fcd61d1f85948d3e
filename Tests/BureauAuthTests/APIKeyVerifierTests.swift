import BureauAuth
import BureauStore
import Testing

@Suite("API key verifier")
struct APIKeyVerifierTests {
    /// A store with one user per email and one key each; returns the store, verifier, and (user, plaintext) pairs.
    static func setUp(emails: [String]) async throws -> (BureauStore, APIKeyVerifier, APIKeyHasher, [(UserID, ParsedAPIKey, APIKeyID)]) {
        let store = BureauStore()
        let hasher = APIKeyHasher(cost: 4)
        let verifier = APIKeyVerifier(store: store, hasher: hasher)
        var created: [(UserID, ParsedAPIKey, APIKeyID)] = []
        for email in emails {
            let key = APIKeyFormat.generate()
            let hash = try await hasher.hash(key)
            let ids = try await store.commit { state, sequence, now -> (Mutation?, (UserID, APIKeyID)) in
                let user = User(id: .random(), email: email, name: email, createdAt: now)
                return (.userCreated(user), (user.id, APIKeyID.random()))
            }
            try await store.commit { _, _, now -> (Mutation?, Void) in
                let record = APIKeyRecord(
                    id: ids.1,
                    userID: ids.0,
                    name: "k",
                    lookupID: key.lookupID,
                    secretHash: hash,
                    lastFour: key.lastFour,
                    createdAt: now
                )
                return (.apiKeyCreated(record), ())
            }
            created.append((ids.0, key, ids.1))
        }
        return (store, verifier, hasher, created)
    }

    @Test("a valid key verifies as its own user, and only bcrypts once")
    func validKey() async throws {
        let (_, verifier, hasher, created) = try await Self.setUp(emails: ["a@example.com", "b@example.com"])
        for (user, key, keyID) in created {
            #expect(await verifier.verify(key.plaintext) == .valid(userID: user, keyID: keyID))
        }
        let afterFirst = hasher.verificationCount
        #expect(afterFirst == 2)
        for _ in 0..<50 {
            for (user, key, keyID) in created {
                #expect(await verifier.verify(key.plaintext) == .valid(userID: user, keyID: keyID))
            }
        }
        #expect(hasher.verificationCount == afterFirst)
        #expect(verifier.cachedKeyCount == 2)
    }

    @Test("a key with the right lookup id but another secret fails, even after the real key was cached")
    func wrongSecret() async throws {
        let (_, verifier, _, created) = try await Self.setUp(emails: ["a@example.com"])
        let (user, key, keyID) = created[0]
        #expect(await verifier.verify(key.plaintext) == .valid(userID: user, keyID: keyID))
        // Same lookup id, different secret, valid checksum: only the hash can tell.
        var rng = SystemRandomNumberGenerator()
        var forged: ParsedAPIKey
        repeat { forged = APIKeyFormat.generate(using: &rng) } while forged.lookupID == key.lookupID
        let forgedText = "lb_k_" + key.lookupID + String(forged.plaintext.dropFirst(5 + APIKeyFormat.lookupIDLength))
        let reparsed = APIKeyFormat.parse(Self.withFixedChecksum(forgedText))
        #expect(reparsed?.lookupID == key.lookupID)
        #expect(await verifier.verify(reparsed!.plaintext) == .invalid)
    }

    @Test("concurrent first uses of one key share one bcrypt check; a wrong secret's check is shared, never cached")
    func concurrentFirstUses() async throws {
        let (_, verifier, hasher, created) = try await Self.setUp(emails: ["a@example.com"])
        let (user, key, keyID) = created[0]
        var rng = SystemRandomNumberGenerator()
        var other: ParsedAPIKey
        repeat { other = APIKeyFormat.generate(using: &rng) } while other.lookupID == key.lookupID
        let wrong = Self.withFixedChecksum("lb_k_" + key.lookupID + String(other.plaintext.dropFirst(5 + APIKeyFormat.lookupIDLength)))

        func verifyAll(_ text: String, times: Int) async -> [APIKeyVerification] {
            await withTaskGroup(of: APIKeyVerification.self) { group in
                for _ in 0..<times { group.addTask { await verifier.verify(text) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        // Before the real key is cached, only bcrypt can refuse a wrong secret. Its check is shared while it
        // runs but never remembered: the next attempt checks again.
        let refused = await verifyAll(wrong, times: 16)
        #expect(refused.allSatisfy { $0 == .invalid })
        let afterWrong = hasher.verificationCount
        #expect(afterWrong >= 1)
        #expect(afterWrong <= 16)
        #expect(await verifier.verify(wrong) == .invalid)
        #expect(hasher.verificationCount == afterWrong + 1)

        let valid = await verifyAll(key.plaintext, times: 48)
        #expect(valid.count == 48)
        #expect(valid.allSatisfy { $0 == .valid(userID: user, keyID: keyID) })
        // Every one of the 48 either started the one check, joined it, or found its digest cached.
        #expect(hasher.verificationCount == afterWrong + 2)
        #expect(verifier.cachedKeyCount == 1)
    }

    @Test("a revoked key fails on the very next check although it was cached")
    func revokedKey() async throws {
        let (store, verifier, _, created) = try await Self.setUp(emails: ["a@example.com"])
        let (user, key, keyID) = created[0]
        #expect(await verifier.verify(key.plaintext) == .valid(userID: user, keyID: keyID))
        #expect(verifier.cachedKeyCount == 1)
        try await store.commit { _, _, now -> (Mutation?, Void) in (.apiKeyRevoked(APIKeyRevocation(id: keyID, at: now)), ()) }
        #expect(await verifier.verify(key.plaintext) == .invalid)
        #expect(verifier.cachedKeyCount == 0)
    }

    @Test("unknown, malformed and mistyped keys fail without bcrypt")
    func cheapFailures() async throws {
        let (_, verifier, hasher, created) = try await Self.setUp(emails: ["a@example.com"])
        let before = hasher.verificationCount
        let typo = String(created[0].1.plaintext.dropLast()) + (created[0].1.plaintext.hasSuffix("a") ? "b" : "a")
        for candidate in ["", "lb_k_nope", typo, APIKeyFormat.generate().plaintext, String(repeating: "x", count: 10_000)] {
            #expect(await verifier.verify(candidate) == .invalid)
        }
        #expect(hasher.verificationCount == before)
    }

    @Test("the verdict without hashing: undecided before the first bcrypt, decided after, never for a revoked key")
    func verdictWithoutHashing() async throws {
        let (store, verifier, hasher, created) = try await Self.setUp(emails: ["a@example.com", "b@example.com"])
        let (user, key, keyID) = created[0]
        #expect(verifier.verdictWithoutHashing(key.plaintext) == nil)
        #expect(verifier.verdictWithoutHashing("lb_k_nope") == .invalid)
        #expect(verifier.verdictWithoutHashing(APIKeyFormat.generate().plaintext) == .invalid)
        #expect(hasher.verificationCount == 0)
        #expect(await verifier.verify(key.plaintext) == .valid(userID: user, keyID: keyID))
        #expect(verifier.verdictWithoutHashing(Substring(key.plaintext)) == .valid(userID: user, keyID: keyID))
        // Checked where it lies: a key inside a longer string, and every one-byte change of it.
        let framed = "x-api-key: \(key.plaintext)\r\n"
        let start = framed.utf8.index(framed.utf8.startIndex, offsetBy: 11)
        let end = framed.utf8.index(start, offsetBy: key.plaintext.utf8.count)
        #expect(verifier.verdictWithoutHashing(framed[start..<end]) == .valid(userID: user, keyID: keyID))
        let bytes = Array(key.plaintext.utf8)
        for index in bytes.indices {
            var changed = bytes
            changed[index] = changed[index] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            #expect(verifier.verdictWithoutHashing(String(decoding: changed, as: UTF8.self)) == .invalid)
        }
        // Same length in bytes, not in characters.
        #expect(verifier.verdictWithoutHashing("é" + key.plaintext.dropFirst(2)) == .invalid)
        // The other user's key is still undecided: one key's cached digest never vouches for another.
        #expect(verifier.verdictWithoutHashing(created[1].1.plaintext) == nil)
        #expect(hasher.verificationCount == 1)
        try await store.commit { _, _, now -> (Mutation?, Void) in (.apiKeyRevoked(APIKeyRevocation(id: keyID, at: now)), ()) }
        #expect(verifier.verdictWithoutHashing(key.plaintext) == .invalid)
    }

    @Test("uses are recorded for lastUsedAt and flushed through the store")
    func usage() async throws {
        let (store, verifier, _, created) = try await Self.setUp(emails: ["a@example.com"])
        let (_, key, keyID) = created[0]
        _ = await verifier.verify(key.plaintext)
        let record = try #require(store.read { $0.apiKeys[keyID] })
        #expect(record.lastUsedAt == nil)
        #expect(verifier.usage.lastUsed(record) != nil)
        try await verifier.usage.flush()
        #expect(store.read { $0.apiKeys[keyID]?.lastUsedAt } != nil)
    }

    /// Recomputes the trailing checksum of a key body (test helper for forging same-lookup keys).
    static func withFixedChecksum(_ text: String) -> String {
        let body = Array(text.utf8.prefix(APIKeyFormat.length - APIKeyFormat.checksumLength))
        var value = UInt64(CRC32.ieee.checksum(body))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var digits = [UInt8](repeating: 0, count: APIKeyFormat.checksumLength)
        for index in stride(from: APIKeyFormat.checksumLength - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return String(decoding: body + digits, as: UTF8.self)
    }
}
