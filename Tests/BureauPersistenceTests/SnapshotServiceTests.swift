import BureauPersistence
import BureauStore
import BureauTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("Snapshot service")
struct SnapshotServiceTests {
    static func snapshots(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".snap") }.sorted()
    }

    @Test("interval trigger: a snapshot once the interval has passed with changes, none without")
    func intervalTrigger() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        let clock = ManualClock()
        let store = harness.store
        let service = SnapshotService(
            snapshotter: harness.snapshotter(),
            journal: harness.journal,
            currentState: { store.copyState() },
            interval: .seconds(10),
            logBytes: 0,
            checkEvery: .seconds(1),
            clock: clock,
            logger: StorageHarness.logger
        )
        let running = Task { try await service.run() }
        await clock.waitForSleepers(1)
        try await harness.commit(Array(Sample.everyKind().prefix(4)))
        for _ in 0..<9 {
            clock.advance(by: .seconds(1))
            await clock.waitForSleepers(1)
        }
        #expect(try Self.snapshots(temporary.dataPath).isEmpty, "9 s: not yet")
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        #expect(try Self.snapshots(temporary.dataPath) == [StorageFileName.snapshot(4)])
        for _ in 0..<10 {
            clock.advance(by: .seconds(1))
            await clock.waitForSleepers(1)
        }
        #expect(try Self.snapshots(temporary.dataPath) == [StorageFileName.snapshot(4)], "nothing changed: no new snapshot")
        running.cancel()
        try await running.value
        try await harness.close()
    }

    @Test("log size trigger: a snapshot once the log has grown past the threshold")
    func sizeTrigger() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        let clock = ManualClock()
        let store = harness.store
        let service = SnapshotService(
            snapshotter: harness.snapshotter(),
            journal: harness.journal,
            currentState: { store.copyState() },
            interval: .zero,
            logBytes: 2000,
            clock: clock,
            logger: StorageHarness.logger
        )
        let running = Task { try await service.run() }
        await clock.waitForSleepers(1)
        try await harness.commit(Array(Sample.tasks(5)))
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        #expect(try Self.snapshots(temporary.dataPath).isEmpty)
        let more = Array(Sample.tasks(30).dropFirst(7))
        try await harness.commit(more)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        #expect(try Self.snapshots(temporary.dataPath) == [StorageFileName.snapshot(UInt64(7 + more.count))])
        running.cancel()
        try await running.value
        try await harness.close()
    }

    @Test("graceful shutdown takes a final snapshot")
    func finalSnapshot() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        let clock = ManualClock()
        let store = harness.store
        let service = SnapshotService(
            snapshotter: harness.snapshotter(),
            journal: harness.journal,
            currentState: { store.copyState() },
            interval: .seconds(300),
            logBytes: 1 << 26,
            clock: clock,
            logger: StorageHarness.logger
        )
        let group = ServiceGroup(configuration: .init(services: [service], logger: StorageHarness.logger))
        let running = Task { try await group.run() }
        await clock.waitForSleepers(1)
        try await harness.commit(Sample.everyKind())
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try Self.snapshots(temporary.dataPath) == [StorageFileName.snapshot(UInt64(Sample.everyKind().count))])
        try await harness.close()
        let recovered = try StorageHarness.open(temporary.dataPath).recovered
        #expect(recovered.snapshot?.sequence == UInt64(Sample.everyKind().count))
        #expect(recovered.replayedRecords == 0)
    }
}
