import BureauPersistence
import Foundation
import Testing

@testable import BureauStore

@Suite("Format 3 snapshots: events naming stored tasks and desktops")
struct ActivityReferenceTests {
    /// The data directory the format 2 encoder wrote from `Sample.everyKind()` (snapshot at sequence 18,
    /// log through 21), kept in `fixtures/`.
    static let formatTwoFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/format2-data").standardized.path

    /// Every task event of `state` whose task is the stored one, and how many of those share its record.
    private static func sharing(in state: StoreState) -> (equal: Int, shared: Int) {
        var counts = (equal: 0, shared: 0)
        for recent in state.activity.values {
            for event in recent.events {
                guard case .task(let task) = event.subject, let stored = state.tasks[task.id], stored == task else { continue }
                counts.equal += 1
                if task.sharesStorage(with: stored) { counts.shared += 1 }
            }
        }
        return counts
    }

    @Test("decoding gives each event the very task record the snapshot stores; records and activity round-trip")
    func decodedEventsShareTasks() throws {
        let state = try Sample.state(
            after: Sample.tasks(50) + [
                .taskUpdated(TaskChange(id: TaskID(uuid: Sample.uuid(4, 3)), status: .running, result: nil, at: Sample.time(60)))
            ]
        )
        let (header, bytes) = try SnapshotFile.encode(state, createdAt: Sample.time(0))
        #expect(header.version == 3)
        let (_, decoded) = try SnapshotFile.decode(Array(bytes), file: "s.snap")
        #expect(StateRecords(decoded) == StateRecords(state))
        #expect(decoded.activity == state.activity)
        let counts = Self.sharing(in: decoded)
        #expect(counts.equal == 50, "49 unchanged tasks' creations, and the update of the one that changed")
        #expect(counts.shared == counts.equal)
    }

    @Test("an event naming a stored task costs a few bytes, not a second copy of the task")
    func smallerBody() throws {
        let mutations = Sample.tasks(200, contentSize: 200)
        let withHistory = try Sample.state(after: mutations)
        var withoutHistory = StoreState(activityCapacity: 0)
        for (index, mutation) in mutations.enumerated() { try withoutHistory.apply(mutation, sequence: UInt64(index + 1)) }
        let full = StateCodec.encode(withHistory).count
        let bare = StateCodec.encode(withoutHistory).count
        #expect(full > bare)
        // Inline, 200 events would add more than 200 × 200 bytes of content alone.
        #expect(full - bare < 200 * 60, "history adds \(full - bare) bytes")
    }

    @Test("an event naming a task past the end of the tasks section is refused")
    func referenceOutOfRange() throws {
        let records = StateRecords(try Sample.state(after: Sample.tasks(1)))
        var w = BinaryWriter(capacity: 64)
        w.write(records.activity[0], subjects: ActivitySubjectIndex(records))
        var r = BinaryReader(w.bytes)
        #expect(throws: CodecError.self) { _ = try r.readUserActivityRecord(tasks: [], desktops: []) }
        var ok = BinaryReader(w.bytes)
        #expect(try ok.readUserActivityRecord(tasks: records.tasks, desktops: records.desktops) == records.activity[0])
    }

    @Test("a format 2 data directory loads as it was written, then is snapshotted in format 3 with shared tasks")
    func formatTwoDirectoryLoads() async throws {
        let temporary = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: temporary.dataPath, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.formatTwoFixture) {
            let target = temporary.dataPath + "/" + name
            try FileManager.default.copyItem(atPath: Self.formatTwoFixture + "/" + name, toPath: target)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
        }
        let snapshot = temporary.dataPath + "/" + StorageFileName.snapshot(18)
        let summary = try StorageTools.inspectSnapshot(at: snapshot)
        #expect(summary.header.version == 2 && summary.header.size == 104 && summary.header.counts.sessions == 3)
        #expect(try StorageTools.verifySnapshot(at: snapshot).bodyChecksumValid)
        let (_, old) = try SnapshotFile.decodeRecords(try POSIXFileSystem().readFile(snapshot), file: "old.snap")
        #expect(old == StateRecords(try Sample.state(after: Array(Sample.everyKind().prefix(18)))))

        // The fixture holds the first 21 kinds; later kinds were added after it was written.
        let expected = try Sample.state(after: Array(Sample.everyKind().prefix(21)))
        var harness = try StorageHarness.open(temporary.dataPath)
        #expect(harness.recovered.snapshot?.sequence == 18 && harness.recovered.state.sequence == 21)
        #expect(StateRecords(harness.recovered.state) == StateRecords(expected))
        #expect(harness.recovered.state.activity == expected.activity)
        let outcome = try #require(try await harness.snapshotter().write(harness.store.copyState()))
        try await harness.close()

        let written = try StorageTools.inspectSnapshot(at: temporary.dataPath + "/" + outcome.file)
        #expect(written.header.version == 3 && written.header.size == 104)
        harness = try StorageHarness.open(temporary.dataPath)
        #expect(harness.recovered.snapshot?.version == 3)
        #expect(StateRecords(harness.recovered.state) == StateRecords(expected))
        #expect(harness.recovered.state.activity == expected.activity)
        let counts = Self.sharing(in: harness.recovered.state)
        #expect(counts.equal == 2 && counts.shared == 2, "task 2's creation and task 1's cancellation name the stored tasks")
        try await harness.close()
    }

    @Test("decoding with a smaller capacity never holds the older events, and counts them as dropped")
    func decodingKeepsNewest() throws {
        let state = try Sample.state(after: Sample.tasks(40))
        let body = StateCodec.encode(state)
        let ada = UserID(uuid: Sample.uuid(1, 1))
        let all = try #require(state.activity[ada]).events
        let two = try #require(try StateCodec.decode(body, activityCapacity: 2).activity.first)
        #expect(two.events == Array(all.suffix(2)))
        #expect(two.droppedThrough == all.dropLast(2).last?.id)
        #expect(two.events.capacity < 40)
        let none = try #require(try StateCodec.decode(body, activityCapacity: 0).activity.first)
        #expect(none.events.isEmpty && none.events.capacity == 0 && none.droppedThrough == all.last?.id)
        #expect(try StateCodec.decode(body).activity.first?.events == Array(all))
    }

    @Test("recovery keeps only the configured history, and holds nothing of what it dropped")
    func recoveryTrimsToCapacity() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        try await harness.commit(Sample.tasks(80))
        _ = try await harness.snapshotter().write(harness.store.copyState())
        try await harness.close()
        let ada = UserID(uuid: Sample.uuid(1, 1))
        for capacity in [0, 5] {
            let directory = try DataDirectory(path: temporary.dataPath, fileSystem: POSIXFileSystem())
            let recovered = try Recovery.recover(directory, activityCapacity: capacity, logger: StorageHarness.logger)
            let recent = try #require(recovered.state.activity[ada])
            #expect(recent.events.count == capacity && recent.heldCount == capacity)
            #expect(recent.heldCapacity < 81, "the 81 events the snapshot held are not kept in a larger buffer")
            #expect(recovered.state.activityCapacity == capacity)
            directory.unlock()
        }
    }
}
