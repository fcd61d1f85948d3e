import BureauPersistence
import BureauStore
import BureauTestSupport
import Dispatch
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Log journal")
struct JournalTests {
    /// A way an append can fail.
    struct AppendFault: Sendable, CustomStringConvertible {
        var description: String
        var faults: [FaultInjectingFileSystem.Fault]
        /// Whether the failing append starts a new segment (the segment size is tiny then).
        var rolls: Bool
    }

    static let appendFaults: [AppendFault] = [
        AppendFault(
            description: "ENOSPC on the record write",
            faults: [.init(.write, pathContains: ".seg", effect: .fail(errno: ENOSPC))],
            rolls: false
        ),
        AppendFault(description: "EIO on the record write", faults: [.init(.write, pathContains: ".seg", effect: .fail(errno: EIO))], rolls: false),
        AppendFault(
            description: "short write then ENOSPC",
            faults: [.init(.write, pathContains: ".seg", effect: .shortWrite(bytes: 7, errno: ENOSPC))],
            rolls: false
        ),
        AppendFault(
            description: "short write, and cutting it back fails too",
            faults: [
                .init(.write, pathContains: ".seg", effect: .shortWrite(bytes: 9, errno: ENOSPC)),
                .init(.truncate, pathContains: ".seg", effect: .fail(errno: EIO)),
            ],
            rolls: false
        ),
        AppendFault(
            description: "creating the next segment fails",
            faults: [.init(.open, pathContains: ".seg", effect: .fail(errno: ENOSPC))],
            rolls: true
        ),
        AppendFault(
            description: "emptying the new segment fails",
            faults: [.init(.truncate, pathContains: ".seg", effect: .fail(errno: EIO))],
            rolls: true
        ),
        AppendFault(
            description: "writing the new segment's header fails",
            faults: [.init(.write, pathContains: ".seg", effect: .shortWrite(bytes: 3, errno: ENOSPC))],
            rolls: true
        ),
        AppendFault(
            description: "the record write into a new segment fails",
            faults: [.init(.write, pathContains: ".seg", after: 1, effect: .fail(errno: ENOSPC))],
            rolls: true
        ),
    ]

    @Test("a failed append changes neither memory nor disk, reports read-only, and writes resume", arguments: appendFaults)
    func failedAppend(_ scenario: AppendFault) async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        let mutations = Sample.everyKind()
        let before = try Sample.state(after: Array(mutations.prefix(5)))
        let after = try Sample.state(after: Array(mutations.prefix(6)))
        let options = LogJournalOptions(segmentBytes: scenario.rolls ? 64 : 16 << 20)

        var harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem, options: options)
        try await harness.commit(Array(mutations.prefix(5)))
        for fault in scenario.faults { fileSystem.inject(fault) }
        await #expect(throws: StoreError.unavailable("the data directory cannot take writes right now")) {
            try await harness.commit(mutations[5])
        }
        #expect(fileSystem.hits >= 1)
        #expect(harness.store.copyState() == before)
        #expect(!harness.journal.isWritable)

        // A crash now recovers the old state.
        fileSystem.removeAllFaults()
        try await harness.close()
        harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem, options: options)
        #expect(harness.recovered.state == before)

        // The disk is full again, then space returns: the next write goes through by itself.
        fileSystem.inject(.init(.write, pathContains: ".seg", effect: .fail(errno: ENOSPC), repeats: true))
        await #expect(throws: StoreError.self) { try await harness.commit(mutations[5]) }
        fileSystem.removeAllFaults()
        try await harness.commit(mutations[5])
        #expect(harness.journal.isWritable)
        #expect(harness.store.copyState() == after)
        try await harness.close()
        #expect(try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem).recovered.state == after)
    }

    @Test("a failed sync is fatal: the handler is told once, waiters and later writes fail")
    func failedSync() async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        let harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem)
        try await harness.commit(Sample.everyKind()[0])
        fileSystem.inject(.init(.synchronize, pathContains: ".seg", effect: .fail(errno: EIO)))
        await #expect(throws: StorageError.self) { try await harness.commit(Sample.everyKind()[1]) }
        #expect(harness.fatalErrors.count == 1)
        #expect(!harness.journal.isWritable)
        await #expect(throws: StoreError.self) { try await harness.commit(Sample.everyKind()[2]) }
        #expect(harness.fatalErrors.count == 1)
    }

    @Test("group commit: concurrent writers share syncs")
    func groupCommitThroughStore() async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        let harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem)
        try await harness.commit(Sample.tasks(0))
        fileSystem.resetCalls()

        // Hold the first sync until every writer has appended, as a slow disk would. Bounded, so a writer
        // that fails makes the test fail instead of waiting for ever.
        let gate = DispatchSemaphore(value: 0)
        let first = Mutex(true)
        let released = Mutex(false)
        fileSystem.setHook(.synchronize) { path in
            guard path.hasSuffix(".seg"),
                first.withLock({ state in
                    defer { state = false }
                    return state
                })
            else { return }
            released.withLock { $0 = gate.wait(timeout: .now() + 60) == .success }
        }
        let writers: UInt64 = 62
        let last = 2 + writers
        harness.store.observe { committed in if committed.sequence == last { gate.signal() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The writers run in any order: each task's ordinal is its commit's sequence, so every
            // creation is newer than the ones committed before it, whichever order they come in.
            for n in 0..<writers {
                group.addTask {
                    try await harness.store.commit { _, sequence, _ in
                        (.taskCreated(TaskCreation(task: Sample.task(n, of: 1, on: 1, ordinal: sequence), idempotency: nil)), ())
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(released.withLock { $0 }, "every writer appended while the first sync was held")
        let syncs = fileSystem.count(.synchronize, pathContains: ".seg")
        #expect(syncs >= 1 && syncs <= 3, "\(syncs) syncs for \(writers) writes")
        #expect(harness.journal.durableSequence == last)
        try await harness.close()
    }

    @Test("group commit: waiters for records already written share one sync")
    func groupCommitDirect() async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        let harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem)
        let mutations = Sample.tasks(98)
        for (index, mutation) in mutations.enumerated() { try harness.journal.append(mutation, sequence: UInt64(index + 1)) }
        #expect(fileSystem.count(.synchronize) == 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sequence in 1...UInt64(mutations.count) { group.addTask { try await harness.journal.waitUntilDurable(sequence) } }
            try await group.waitForAll()
        }
        #expect(fileSystem.count(.synchronize, pathContains: ".seg") == 1)
        try await harness.close()
    }

    @Test("fsync never: no sync while running, one at close")
    func neverPolicy() async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        let harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem, options: LogJournalOptions(fsync: .never))
        try await harness.commit(Sample.everyKind())
        #expect(fileSystem.count(.synchronize) == 0)
        try await harness.close()
        #expect(fileSystem.count(.synchronize, pathContains: ".seg") == 1)
        #expect(try StorageHarness.open(temporary.dataPath).recovered.state == Sample.state(after: Sample.everyKind()))
    }

    @Test("fsync interval: writes return at once and a background sync follows")
    func intervalPolicy() async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        let synced = AsyncStream<Void>.makeStream()
        fileSystem.setHook(.synchronize) { path in if path.hasSuffix(".seg") { synced.continuation.yield() } }
        let options = LogJournalOptions(fsync: .interval, syncInterval: .milliseconds(20))
        let harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem, options: options)
        try await harness.commit(Sample.everyKind())
        var iterator = synced.stream.makeAsyncIterator()
        _ = await iterator.next()
        try await harness.close()
    }

    @Test("records offered out of order are refused")
    func outOfOrder() throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        #expect(throws: StorageError.outOfOrder(expected: 1, found: 2)) { try harness.journal.append(Sample.everyKind()[0], sequence: 2) }
    }
}
