import Synchronization
import Testing

@testable import BureauAuth
@testable import BureauStore

@Suite("Key usage recorder (requests per day and the latest client, batched)")
struct KeyUsageRecorderTests {
    static let day: Int64 = 86_400_000
    static let t0 = Timestamp(millisecondsSinceEpoch: 1_795_341_600_000)

    /// A store with one user and one key, whose journal can be told to refuse records.
    private static func fixture() async throws -> (UsageLedgerTests.SwitchableJournal, BureauStore, APIKeyRecord) {
        let journal = UsageLedgerTests.SwitchableJournal()
        let store = BureauStore(journal: journal)
        let user = User(id: .random(), email: "ada@example.com", name: "Ada", createdAt: t0)
        let key = APIKeyRecord(
            id: .random(),
            userID: user.id,
            name: "k",
            lookupID: "abcdefghijkl",
            secretHash: "$2b$04$x",
            lastFour: "9f3a",
            createdAt: t0
        )
        try await store.commit { _, _, _ -> (Mutation?, Void) in (.userCreated(user), ()) }
        try await store.commit { _, _, _ -> (Mutation?, Void) in (.apiKeyCreated(key), ()) }
        return (journal, store, key)
    }

    @Test("uses are counted per UTC day across midnight, the latest client kept; a flush writes them once")
    func countsAcrossMidnight() async throws {
        let (journal, store, key) = try await Self.fixture()
        let recorder = KeyUsageRecorder(store: store)
        let midnight = Timestamp(millisecondsSinceEpoch: (Self.t0.millisecondsSinceEpoch / Self.day + 1) * Self.day)
        recorder.record(key.id, at: midnight.adding(milliseconds: -2), client: .v4(0xC000_0201))
        recorder.record(key.id, at: midnight.adding(milliseconds: -1), client: .v4(0xC000_0202))
        recorder.record(key.id, at: midnight, client: .v4(0xC000_0203))
        // A use noted late (an earlier time) counts on its own day and does not replace the latest client.
        recorder.record(key.id, at: midnight.adding(milliseconds: -5), client: .v4(0xC000_0209))
        let today = UsageDay(midnight)
        var history = recorder.history(of: key.id, stored: nil)
        #expect(history.window(endingOn: today).suffix(2) == [3, 1])
        #expect(history.lastClientAddress == "192.0.2.3")
        #expect(recorder.lastUsed(key) == midnight)

        try await recorder.flush()
        let written = journal.written.withLock { $0.last }
        guard case .apiKeysUsed(let uses) = written else {
            Issue.record("expected a batch of uses, got \(String(describing: written))")
            return
        }
        #expect(uses.count == 1)
        #expect(uses.first?.requests == [DailyRequests(day: UsageDay(number: today.number - 1), count: 3), DailyRequests(day: today, count: 1)])
        #expect(uses.first?.client == "192.0.2.3")
        history = recorder.history(of: key.id, stored: store.read { $0.keyUsage[key.id] })
        #expect(history.window(endingOn: today).suffix(2) == [3, 1], "nothing counted twice after the flush")
        #expect(history.lastClientAddress == "192.0.2.3")
    }

    @Test("a failed flush keeps its counts for the next one, added to the uses noted meanwhile")
    func failedFlushKeepsCounts() async throws {
        let (journal, store, key) = try await Self.fixture()
        let recorder = KeyUsageRecorder(store: store)
        for _ in 0..<4 { recorder.record(key.id, at: Self.t0, client: .v4(1)) }
        journal.refusing.withLock { $0 = true }
        await #expect(throws: StoreError.self) { try await recorder.flush() }
        recorder.record(key.id, at: Self.t0.adding(milliseconds: Self.day), client: .v6(high: 0x2001_0db8_0000_0000, low: 7))
        recorder.record(key.id, at: Self.t0, client: nil)
        journal.refusing.withLock { $0 = false }
        try await recorder.flush()
        let stored = try #require(store.read { $0.keyUsage[key.id] })
        let today = UsageDay(Self.t0.adding(milliseconds: Self.day))
        #expect(stored.window(endingOn: today).suffix(2) == [5, 1])
        #expect(stored.lastClientAddress == "2001:db8::7")
        #expect(store.read { $0.apiKeys[key.id]?.lastUsedAt } == Self.t0.adding(milliseconds: Self.day))
    }
}
