import BureauStore
import Testing

@Suite("Key usage: requests per day over 30 days, the latest client, unused keys")
struct KeyUsageTests {
    static let day: Int64 = 86_400_000
    static let today = UsageDay(StoreFixtures.t0)

    @Test("a UTC day is named YYYY-MM-DD and parsed back; impossible dates are refused")
    func dayNames() {
        #expect(UsageDay(Timestamp(millisecondsSinceEpoch: 0)).description == "1970-01-01")
        #expect(UsageDay(Timestamp(millisecondsSinceEpoch: -1)).description == "1969-12-31")
        #expect(UsageDay(Timestamp(millisecondsSinceEpoch: 86_399_999)).number == 0)
        for text in ["1970-01-01", "2000-02-29", "2026-11-30", "2024-12-31", "0000-03-01", "9999-12-31", "1969-12-31"] {
            #expect(UsageDay(date: text)?.description == text, "\(text)")
        }
        for text in ["2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01", "2026-01-32", "2026/01/01", "２０２６-01-01", ""] {
            #expect(UsageDay(date: text) == nil, "\(text)")
        }
        #expect(UsageDay(date: "2026-11-30")?.start.rfc3339 == "2026-11-30T00:00:00.000Z")
    }

    @Test("the window holds 30 days ending today, oldest first; older days fall out as days pass")
    func window() {
        var history = KeyUsageHistory()
        history.add(5, on: UsageDay(number: Self.today.number - 29))
        history.add(7, on: Self.today)
        history.add(1, on: UsageDay(number: Self.today.number - 30))
        var window = history.window(endingOn: Self.today)
        #expect(window.count == 30)
        #expect(window.first == 5 && window.last == 7 && window.reduce(0, +) == 12, "a day before the window is dropped")
        // A day later: the oldest day has left the window, today is empty.
        window = history.window(endingOn: UsageDay(number: Self.today.number + 1))
        #expect(window.reduce(0, +) == 7 && window[28] == 7 && window[29] == 0)
        // Adding on a later day moves the ring: the days it passes start at zero.
        history.add(2, on: UsageDay(number: Self.today.number + 3))
        window = history.window(endingOn: UsageDay(number: Self.today.number + 3))
        #expect(window[26] == 7 && window[29] == 2 && window.reduce(0, +) == 9)
        // Beyond 30 days, nothing old remains.
        history.add(4, on: UsageDay(number: Self.today.number + 100))
        #expect(history.window(endingOn: UsageDay(number: Self.today.number + 100)).reduce(0, +) == 4)
        #expect(history.requests == [DailyRequests(day: UsageDay(number: Self.today.number + 100), count: 4)])
        // A count saturates rather than wrapping.
        history.add(.max, on: UsageDay(number: Self.today.number + 100))
        #expect(history.window(endingOn: UsageDay(number: Self.today.number + 100)).last == .max)
    }

    @Test("two histories of the same requests are equal, however they were built")
    func canonical() {
        var a = KeyUsageHistory()
        a.add(3, on: UsageDay(number: 100))
        a.add(1, on: UsageDay(number: 140))
        a.add(2, on: UsageDay(number: 141))
        let b = KeyUsageHistory(
            requests: [DailyRequests(day: UsageDay(number: 140), count: 1), DailyRequests(day: UsageDay(number: 141), count: 2)],
            lastClientAddress: nil,
            at: nil
        )
        #expect(a == b)
        #expect(KeyUsageRecord(keyID: .random(), history: a).history == a)
    }

    @Test("the latest client is the one of the latest use, whatever order uses are recorded in")
    func latestClient() {
        var history = KeyUsageHistory()
        history.noteClient("203.0.113.7", at: StoreFixtures.t0.adding(milliseconds: 10))
        history.noteClient("198.51.100.1", at: StoreFixtures.t0)
        #expect(history.lastClientAddress == "203.0.113.7")
        history.noteClient("2001:db8::1", at: StoreFixtures.t0.adding(milliseconds: 11))
        #expect(history.lastClientAddress == "2001:db8::1")
    }

    @Test("api_key.used adds each batch's requests per day to the key's history and keeps the latest client")
    func appliedUses() throws {
        var state = StoreState()
        let user = StoreFixtures.user()
        let key = StoreFixtures.apiKey(of: user.id)
        try state.applyNext(.userCreated(user))
        try state.applyNext(.apiKeyCreated(key))
        let yesterday = UsageDay(number: Self.today.number - 1)
        try state.applyNext(
            .apiKeysUsed([
                APIKeyUse(
                    id: key.id,
                    at: StoreFixtures.t0,
                    requests: [DailyRequests(day: yesterday, count: 2), DailyRequests(day: Self.today, count: 3)],
                    client: "203.0.113.7"
                )
            ])
        )
        try state.applyNext(
            .apiKeysUsed([
                APIKeyUse(
                    id: key.id,
                    at: StoreFixtures.t0.adding(milliseconds: 5),
                    requests: [DailyRequests(day: Self.today, count: 4)],
                    client: "::1"
                )
            ])
        )
        // A batch from before usage was counted changes only lastUsedAt.
        try state.applyNext(.apiKeysUsed([APIKeyUse(id: key.id, at: StoreFixtures.t0.adding(milliseconds: 6))]))
        let history = try #require(state.keyUsage[key.id])
        #expect(history.window(endingOn: Self.today).suffix(2) == [2, 7])
        #expect(history.lastClientAddress == "::1")
        #expect(state.apiKeys[key.id]?.lastUsedAt == StoreFixtures.t0.adding(milliseconds: 6))
    }

    @Test("an unused key is one not used for auth.unused_key_days, counted from its creation when never used")
    func unusedRule() {
        let key = StoreFixtures.apiKey(of: .random())
        let policy = OperationPolicy(unusedKeyDays: 30)
        let t0 = StoreFixtures.t0
        #expect(!policy.isUnused(key, lastUsed: nil, at: t0.adding(milliseconds: 30 * Self.day - 1)))
        #expect(policy.isUnused(key, lastUsed: nil, at: t0.adding(milliseconds: 30 * Self.day)))
        #expect(!policy.isUnused(key, lastUsed: t0.adding(milliseconds: Self.day), at: t0.adding(milliseconds: 30 * Self.day)))
        #expect(policy.isUnused(key, lastUsed: t0.adding(milliseconds: Self.day), at: t0.adding(milliseconds: 31 * Self.day)))
        #expect(!OperationPolicy().isUnused(key, lastUsed: nil, at: t0.adding(milliseconds: 10_000 * Self.day)), "no rule, never unused")
    }

    @Test("the unused-key sweep revokes usable keys past the rule, in batches, each owner told; used, expired and revoked keys stay")
    func sweep() async throws {
        let fixture = OperationsFixture(policy: OperationPolicy(maxKeysPerUser: 3000, unusedKeyDays: 30))
        let ada = try await fixture.operations.createUser(NewUser(email: "ada@example.com"))
        let bob = try await fixture.operations.createUser(NewUser(email: "bob@example.com"))
        var adaKeys: [APIKeyID] = []
        for n in 0..<(Operations.unusedKeysPerRecord + 5) {
            adaKeys.append(try await fixture.operations.createAPIKey(NewAPIKey(name: "k\(n)"), by: .operator(ada.id)).record.id)
        }
        let bobKey = try await fixture.operations.createAPIKey(NewAPIKey(name: "bob"), by: .operator(bob.id)).record.id
        let revoked = try await fixture.operations.createAPIKey(NewAPIKey(name: "gone"), by: .operator(bob.id)).record.id
        try await fixture.operations.revokeAPIKey(revoked.description, by: .operator(bob.id))
        #expect(try await fixture.operations.revokeUnusedKeys() == 0, "nothing is 30 days old yet")

        fixture.clock.advance(milliseconds: 29 * Self.day)
        // Bob's key is used on day 29: it is not unused on day 30.
        try await fixture.store.commit { _, _, now -> (Mutation?, Void) in (.apiKeysUsed([APIKeyUse(id: bobKey, at: now)]), ()) }
        fixture.clock.advance(milliseconds: Self.day)
        let before = fixture.store.read { $0.sequence }
        #expect(try await fixture.operations.revokeUnusedKeys() == adaKeys.count)
        #expect(fixture.store.read { $0.sequence } == before + 2, "two records: a full batch and the rest")
        fixture.store.read { state in
            #expect(adaKeys.allSatisfy { state.apiKeys[$0]?.isActive == false })
            #expect(state.apiKeys[bobKey]?.isActive == true)
            #expect(state.activeKeyIDs(of: ada.id).isEmpty)
            let events = state.activity[ada.id]?.events.filter { $0.kind == .apiKeyRevokedUnused } ?? []
            // One event per key, as far as the user's recent activity holds them.
            #expect(events.count == min(adaKeys.count, state.activityCapacity))
            #expect(state.activity[bob.id]?.events.contains { $0.kind == .apiKeyRevokedUnused } == false)
        }
        #expect(try await fixture.operations.revokeUnusedKeys() == 0, "a second sweep finds nothing")
        // Without the rule, nothing is ever swept.
        let ruleless = Operations(store: fixture.store, minter: fixture.minter)
        fixture.clock.advance(milliseconds: 365 * Self.day)
        #expect(try await ruleless.revokeUnusedKeys() == 0)
    }
}
