import Synchronization
import Testing

@testable import BureauAuth
@testable import BureauStore

@Suite("Usage ledger (the batching behind lastUsedAt and session idle times)")
struct UsageLedgerTests {
    /// A journal that refuses every record while `refusing` is set.
    final class SwitchableJournal: MutationJournal {
        struct Refused: Error {}
        let refusing = Mutex(false)
        let written = Mutex<[Mutation]>([])
        func append(_ mutation: Mutation, sequence: UInt64) throws {
            if refusing.withLock({ $0 }) { throw Refused() }
            written.withLock { $0.append(mutation) }
        }
        func waitUntilDurable(_ sequence: UInt64) async throws {}
    }

    private static func time(_ ms: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: ms) }

    /// A mutation any store accepts: the batch's contents are checked by the closures themselves.
    private static func someMutation() -> Mutation {
        .userCreated(User(id: .random(), email: "ledger@example.com", name: "ledger", createdAt: time(1)))
    }

    @Test("the newest use wins; a flush writes one batch and empties the ledger; nothing noted, nothing written")
    func batches() async throws {
        let journal = SwitchableJournal()
        let store = BureauStore(journal: journal)
        let ledger = UsageLedger<APIKeyID, Timestamp>()
        let (a, b) = (APIKeyID.random(), APIKeyID.random())
        ledger.note(a, at: Self.time(20))
        ledger.note(a, at: Self.time(10))
        ledger.note(b, at: Self.time(5))
        #expect(ledger.unsaved(a) == Self.time(20))
        let seen = Mutex<[APIKeyID: Timestamp]>([:])
        try await ledger.flush(through: store) { _, batch in
            seen.withLock { $0 = batch }
            return Self.someMutation()
        }
        #expect(seen.withLock { $0 } == [a: Self.time(20), b: Self.time(5)])
        #expect(ledger.unsaved(a) == nil)
        #expect(journal.written.withLock { $0.count } == 1)
        try await ledger.flush(through: store) { _, _ in
            Issue.record("an empty ledger writes nothing")
            return nil
        }
        #expect(journal.written.withLock { $0.count } == 1)
    }

    @Test("a failed flush keeps its uses for the next one, merged with newer ones noted meanwhile")
    func failedFlushKeepsUses() async throws {
        let journal = SwitchableJournal()
        let store = BureauStore(journal: journal)
        let ledger = UsageLedger<SessionID, Timestamp>()
        let (a, b) = (SessionID.random(), SessionID.random())
        ledger.note(a, at: Self.time(10))
        ledger.note(b, at: Self.time(10))
        journal.refusing.withLock { $0 = true }
        await #expect(throws: StoreError.self) {
            try await ledger.flush(through: store) { _, _ in Self.someMutation() }
        }
        // Noted between the failure and the retry: the newer time wins, the older one is not lost.
        ledger.note(a, at: Self.time(30))
        #expect(ledger.unsaved(a) == Self.time(30))
        #expect(ledger.unsaved(b) == Self.time(10))
        journal.refusing.withLock { $0 = false }
        try await ledger.flush(through: store) { _, batch in
            #expect(batch == [a: Self.time(30), b: Self.time(10)])
            return nil
        }
        #expect(ledger.unsaved(b) == nil)
    }
}
