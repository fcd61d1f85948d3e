import BureauPersistence
import BureauStore
import Testing

@Suite("Recent activity on disk")
struct ActivityPersistenceTests {
    @Test("a snapshot keeps every user's recent events and what was dropped; decoding gives them back")
    func snapshotRoundTrip() throws {
        var state = StoreState(activityCapacity: 3)
        for (index, mutation) in Sample.everyKind().enumerated() {
            try state.apply(mutation, sequence: UInt64(index + 1))
        }
        let ada = UserID(uuid: Sample.uuid(1, 1))
        #expect(state.activity[ada]?.events.count == 3)
        #expect(state.activity[ada]?.droppedThrough != nil)
        let records = try StateCodec.decode(StateCodec.encode(state))
        #expect(records == StateRecords(state))
        let restored = try records.makeState(activityCapacity: 3)
        #expect(restored.activity == state.activity)
        // A smaller capacity at start-up keeps only the newest, and remembers the rest as dropped.
        let smaller = try records.makeState(activityCapacity: 1)
        #expect(smaller.activity[ada]?.events.map(\.id) == state.activity[ada]?.events.suffix(1).map(\.id))
        #expect(smaller.activity[ada]?.droppedThrough == state.activity[ada]?.events.dropLast().last?.id)
    }

    @Test("recovery rebuilds the activity of the snapshot plus the replayed log, exactly as it was live")
    func recoveryRebuildsActivity() async throws {
        let temporary = TemporaryDirectory()
        let mutations = Sample.everyKind()
        let harness = try StorageHarness.open(temporary.dataPath)
        try await harness.commit(Array(mutations[..<8]))
        _ = try await harness.snapshotter().write(harness.store.copyState())
        try await harness.commit(Array(mutations[8...]))
        let live = harness.store.copyState().activity
        try await harness.close()
        let recovered = try StorageHarness.open(temporary.dataPath)
        #expect(recovered.recovered.snapshot?.sequence == 8)
        #expect(recovered.recovered.state.activity == live)
        let ada = UserID(uuid: Sample.uuid(1, 1))
        let kinds = live[ada]?.events.map(\.kind) ?? []
        #expect(kinds.last == .apiKeyRevokedUnused, "the unused keys' revocation is the newest event")
        let deletion = try #require(kinds.firstIndex(of: .desktopDeleted), "the desktop deletion is among the events")
        #expect(kinds[deletion + 1] == .taskUpdated, "the deletion's cascade follows it")
        try await recovered.close()
    }

    @Test("a record of events that are out of order is refused")
    func outOfOrderRefused() throws {
        let state = try Sample.state(after: Sample.everyKind())
        var records = StateRecords(state)
        let first = try #require(records.activity.firstIndex { $0.events.count > 1 })
        records.activity[first].events.reverse()
        #expect(throws: InconsistentState.self) { try records.makeState() }
    }
}
