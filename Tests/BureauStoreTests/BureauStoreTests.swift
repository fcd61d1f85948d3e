import BureauStore
import Synchronization
import Testing

/// A journal that records what it is given and can be told to refuse writes.
final class RecordingJournal: MutationJournal {
    let records = Mutex<[CommittedMutation]>([])
    let refuse = Atomic<Bool>(false)
    let durableWaits = Mutex<[UInt64]>([])

    struct Refused: Error {}

    func append(_ mutation: Mutation, sequence: UInt64) throws {
        if refuse.load(ordering: .relaxed) { throw Refused() }
        records.withLock { $0.append(CommittedMutation(sequence: sequence, mutation: mutation)) }
    }

    func waitUntilDurable(_ sequence: UInt64) async throws {
        durableWaits.withLock { $0.append(sequence) }
    }
}

@Suite("BureauStore")
struct BureauStoreTests {
    @Test("a commit is journaled, applied, observed and waited on, in that order of sequence")
    func commitPath() async throws {
        let journal = RecordingJournal()
        let store = BureauStore(journal: journal, now: { StoreFixtures.t0 })
        let observed = Mutex<[UInt64]>([])
        store.observe { committed in observed.withLock { $0.append(committed.sequence) } }
        let user = try await store.commit { _, _, now -> (Mutation?, User) in
            let user = User(id: .random(), email: "ada@example.com", name: "Ada", createdAt: now)
            return (.userCreated(user), user)
        }
        #expect(user.createdAt == StoreFixtures.t0)
        #expect(store.read { $0.users[user.id] } == user)
        #expect(journal.records.withLock { $0.map(\.sequence) } == [1])
        #expect(observed.withLock { $0 } == [1])
        #expect(journal.durableWaits.withLock { $0 } == [1])
    }

    @Test("a refused journal write leaves memory untouched and answers unavailable; writes resume after")
    func journalRefusal() async throws {
        let journal = RecordingJournal()
        let store = BureauStore(journal: journal)
        journal.refuse.store(true, ordering: .relaxed)
        await #expect(throws: StoreError.self) {
            try await store.commit { _, _, now -> (Mutation?, Void) in
                (.userCreated(User(id: .random(), email: "a@b.c", name: "A", createdAt: now)), ())
            }
        }
        #expect(store.read { $0.sequence } == 0)
        #expect(store.read { $0.users.isEmpty })
        journal.refuse.store(false, ordering: .relaxed)
        try await store.commit { _, _, now -> (Mutation?, Void) in
            (.userCreated(User(id: .random(), email: "a@b.c", name: "A", createdAt: now)), ())
        }
        #expect(store.read { $0.sequence } == 1)
    }

    @Test("a plan that throws changes nothing and writes nothing")
    func planThrows() async throws {
        let journal = RecordingJournal()
        let store = BureauStore(journal: journal)
        await #expect(throws: StoreError.notFound("Desktop")) {
            try await store.commit { _, _, _ -> (Mutation?, Void) in throw StoreError.notFound("Desktop") }
        }
        #expect(journal.records.withLock { $0.isEmpty })
    }

    @Test("a mutation that does not apply is refused before it is journaled")
    func invalidMutation() async throws {
        let journal = RecordingJournal()
        let store = BureauStore(journal: journal)
        await #expect(throws: StoreError.self) {
            try await store.commit { _, sequence, now -> (Mutation?, Void) in
                (
                    .desktopCreated(
                        Desktop(id: .random(), ownerID: .random(), name: "x", status: .running, createdAt: now, updatedAt: now, ordinal: sequence)
                    ), ()
                )
            }
        }
        #expect(journal.records.withLock { $0.isEmpty })
    }

    @Test("a plan without a mutation writes nothing but still waits for what it saw to be durable")
    func noMutation() async throws {
        let journal = RecordingJournal()
        let store = BureauStore(journal: journal)
        try await store.commit { _, _, now -> (Mutation?, Void) in
            (.userCreated(User(id: .random(), email: "a@b.c", name: "A", createdAt: now)), ())
        }
        try await store.commit { _, _, _ -> (Mutation?, Void) in (nil, ()) }
        #expect(journal.records.withLock { $0.count } == 1)
        #expect(journal.durableWaits.withLock { $0 } == [1, 1])
    }

    @Test("concurrent commits get consecutive sequences and replay to the same state")
    func concurrentCommits() async throws {
        let journal = RecordingJournal()
        let store = BureauStore(journal: journal)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await store.commit { _, _, now -> (Mutation?, Void) in
                        (.userCreated(User(id: .random(), email: "u\(index)@example.com", name: "U", createdAt: now)), ())
                    }
                }
            }
            try await group.waitForAll()
        }
        let records = journal.records.withLock { $0 }
        #expect(records.map(\.sequence) == Array(1...200))
        var replayed = StoreState()
        for record in records { try replayed.apply(record.mutation, sequence: record.sequence) }
        #expect(replayed == store.copyState())
    }
}
