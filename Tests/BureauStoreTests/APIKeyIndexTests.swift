import BureauStore
import Testing

/// The store's key maps hold packed records: lookups, revocations and batched uses must see every field.
@Suite("StoreState API keys")
struct APIKeyIndexTests {
    /// A state with one user and `count` active keys whose names and lookup ids all differ in length and content.
    static func state(keys count: Int) throws -> (StoreState, UserID, [APIKeyRecord]) {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        var keys: [APIKeyRecord] = []
        for index in 0..<count {
            let key = APIKeyRecord(
                id: .random(),
                userID: user.id,
                name: String(repeating: "n", count: index % 200) + "\(index)",
                lookupID: "lookup\(index)",
                secretHash: "$2b$04$\(index)" + String(repeating: "s", count: 53 - "\(index)".count),
                lastFour: String("\(10_000 + index)".suffix(4)),
                createdAt: StoreFixtures.t0.adding(milliseconds: Int64(index))
            )
            try state.applyNext(.apiKeyCreated(key))
            keys.append(key)
        }
        return (state, user.id, keys)
    }

    @Test("each of many keys is found by its lookup id with every field; revoking some leaves the others intact")
    func lookupsAndRevocations() throws {
        var (state, user, keys) = try Self.state(keys: 300)
        for key in keys {
            #expect(state.activeKey(lookupID: key.lookupID) == key)
            #expect(state.apiKeys[key.id] == key)
        }
        #expect(state.activeKeys(of: user) == keys)
        let revokedAt = StoreFixtures.t0.adding(milliseconds: 5000)
        for key in keys.enumerated() where key.offset % 3 == 0 {
            try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: key.element.id, at: revokedAt)))
        }
        for (index, key) in keys.enumerated() {
            var expected = key
            if index % 3 == 0 {
                expected.revokedAt = revokedAt
                #expect(state.activeKey(lookupID: key.lookupID) == nil)
            } else {
                #expect(state.activeKey(lookupID: key.lookupID) == key)
            }
            #expect(state.apiKeys[key.id] == expected)
            #expect(state.apiKeys[key.id]?.secretHash == key.secretHash)
        }
        #expect(state.activeKeys(of: user) == keys.enumerated().filter { $0.offset % 3 != 0 }.map(\.element))
        #expect(state.apiKeys.count == 300)
    }

    @Test("a batch of uses moves lastUsedAt forward on each key named, revoked ones included, and changes nothing else")
    func batchedUses() throws {
        var (state, user, keys) = try Self.state(keys: 6)
        let revokedAt = StoreFixtures.t0.adding(milliseconds: 100)
        try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: keys[5].id, at: revokedAt)))
        let first = StoreFixtures.t0.adding(milliseconds: 1000)
        let later = StoreFixtures.t0.adding(milliseconds: 2000)
        try state.applyNext(
            .apiKeysUsed([
                APIKeyUse(id: keys[0].id, at: first), APIKeyUse(id: keys[1].id, at: later), APIKeyUse(id: keys[5].id, at: first),
            ])
        )
        // An older use of key 1 and a newer one of key 0 arrive in the next batch.
        try state.applyNext(.apiKeysUsed([APIKeyUse(id: keys[0].id, at: later), APIKeyUse(id: keys[1].id, at: first)]))
        let expectedUses: [Timestamp?] = [later, later, nil, nil, nil, first]
        for (index, key) in keys.enumerated() {
            var expected = key
            expected.lastUsedAt = expectedUses[index]
            if index == 5 { expected.revokedAt = revokedAt }
            #expect(state.apiKeys[key.id] == expected)
            if index != 5 { #expect(state.activeKey(lookupID: key.lookupID) == expected) }
        }
        #expect(state.activeKey(lookupID: keys[5].lookupID) == nil)
        #expect(state.activeKeys(of: user).map(\.lastUsedAt) == Array(expectedUses.prefix(5)))
    }

    @Test("a state rebuilt from its key records equals the live one, uses and revocations included")
    func rebuilt() throws {
        var (state, _, keys) = try Self.state(keys: 20)
        try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: keys[3].id, at: StoreFixtures.t0)))
        try state.applyNext(.apiKeysUsed(keys.prefix(10).map { APIKeyUse(id: $0.id, at: StoreFixtures.t0.adding(milliseconds: 9)) }))
        var rebuilt = try StoreState(
            sequence: state.sequence,
            users: Array(state.users.values),
            apiKeys: state.activeKeys(of: keys[0].userID) + [try #require(state.apiKeys[keys[3].id])],
            desktops: [],
            tasks: [],
            idempotency: []
        )
        for (userID, recent) in state.activity { rebuilt.restoreActivity(of: userID, recent) }
        #expect(rebuilt == state)
        #expect(rebuilt.apiKeys[keys[3].id]?.lastUsedAt == StoreFixtures.t0.adding(milliseconds: 9))
    }
}
