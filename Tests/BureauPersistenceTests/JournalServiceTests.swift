import BureauPersistence
import BureauStore
import BureauTestSupport
import Logging
import ServiceLifecycle
import Testing

@Suite("The journal as a service")
struct JournalServiceTests {
    @Test("shutting the service group down syncs and closes the journal; a write after it is refused")
    func shutdownSyncsAndCloses() async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        // `never`: nothing but the shutdown syncs the segment.
        let harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem, options: LogJournalOptions(fsync: .never))
        let group = ServiceGroup(configuration: .init(services: [harness.journal], logger: StorageHarness.logger))
        let running = Task { try await group.run() }
        let mutations = Sample.everyKind()
        try await harness.commit(mutations)
        #expect(harness.journal.durableSequence == 0 && harness.journal.isWritable)
        fileSystem.resetCalls()

        await group.triggerGracefulShutdown()
        try await running.value

        #expect(fileSystem.count(.synchronize, pathContains: ".seg") >= 1, "the segment was synced at shutdown")
        #expect(harness.journal.durableSequence == UInt64(mutations.count))
        #expect(!harness.journal.isWritable)
        #expect(throws: StorageError.journalClosed) {
            try harness.journal.append(.userCreated(Sample.user(99)), sequence: UInt64(mutations.count + 1))
        }
        harness.directory.unlock()
        let recovered = try StorageHarness.open(temporary.dataPath).recovered
        #expect(recovered.state.sequence == UInt64(mutations.count))
    }

    @Test("cancelling the group closes the journal too")
    func cancellationCloses() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath, options: LogJournalOptions(fsync: .never))
        let group = ServiceGroup(configuration: .init(services: [harness.journal], logger: StorageHarness.logger))
        let running = Task { try await group.run() }
        try await harness.commit(Sample.everyKind()[0])
        running.cancel()
        _ = try? await running.value
        #expect(!harness.journal.isWritable)
        #expect(harness.journal.durableSequence == 1)
        harness.directory.unlock()
    }
}
