import BureauPersistence
import BureauStore
import BureauTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Snapshots")
struct SnapshotTests {
    static func names(_ path: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(suffix) }.sorted()
    }

    @Test("snapshots keep the newest two, prune the log the older one covers, and recovery gives the same state")
    func snapshotAndPrune() async throws {
        let temporary = TemporaryDirectory()
        let mutations = Sample.tasks(60)
        let harness = try StorageHarness.open(temporary.dataPath, options: LogJournalOptions(segmentBytes: 1024))
        let snapshotter = harness.snapshotter()
        for range in [0..<20, 20..<40, 40..<mutations.count] {
            try await harness.commit(Array(mutations[range]))
            _ = try await snapshotter.write(harness.store.copyState())
        }
        #expect(try await snapshotter.write(harness.store.copyState()) == nil, "nothing new to snapshot")
        let snapshots = try Self.names(temporary.dataPath, suffix: ".snap")
        #expect(snapshots == [StorageFileName.snapshot(40), StorageFileName.snapshot(62)])
        let segments = harness.journal.segments
        let oldest = try #require(segments.first)
        #expect(oldest.firstSequence > 1 && oldest.firstSequence <= 41, "the log before the older snapshot is gone, the rest kept")
        #expect(try Self.names(temporary.dataPath, suffix: ".seg") == segments.map(\.name))
        try await harness.close()
        let recovered = try StorageHarness.open(temporary.dataPath).recovered
        #expect(StateRecords(recovered.state) == StateRecords(try Sample.state(after: mutations)))
        #expect(recovered.snapshot?.sequence == 62)
    }

    @Test("a flipped byte in the newest snapshot falls back to the older one plus the log")
    func corruptNewestFallsBack() async throws {
        let temporary = TemporaryDirectory()
        let mutations = Sample.tasks(40)
        let harness = try StorageHarness.open(temporary.dataPath, options: LogJournalOptions(segmentBytes: 1024))
        let snapshotter = harness.snapshotter()
        try await harness.commit(Array(mutations.prefix(20)))
        _ = try await snapshotter.write(harness.store.copyState())
        try await harness.commit(Array(mutations[20..<35]))
        _ = try await snapshotter.write(harness.store.copyState())
        try await harness.commit(Array(mutations[35...]))
        try await harness.close()

        let newest = temporary.dataPath + "/" + StorageFileName.snapshot(35)
        var bytes = try POSIXFileSystem().readFile(newest)
        bytes[bytes.count / 2 + 50] ^= 0x08
        try Data(bytes).write(to: URL(fileURLWithPath: newest))
        #expect(throws: StorageError.self) { _ = try StorageTools.verifySnapshot(at: newest) }

        let recovered = try StorageHarness.open(temporary.dataPath).recovered
        #expect(recovered.snapshot?.sequence == 20)
        #expect(recovered.skippedSnapshots.count == 1)
        #expect(StateRecords(recovered.state) == StateRecords(try Sample.state(after: mutations)))
    }

    @Test("a segment the newest snapshot covers is not checked at start, but verify and a fallback catch its damage")
    func coveredSegmentDamage() async throws {
        let temporary = TemporaryDirectory()
        let mutations = Sample.tasks(40)
        let harness = try StorageHarness.open(temporary.dataPath, options: LogJournalOptions(segmentBytes: 1024))
        let snapshotter = harness.snapshotter()
        try await harness.commit(Array(mutations.prefix(20)))
        _ = try await snapshotter.write(harness.store.copyState())
        try await harness.commit(Array(mutations[20..<35]))
        _ = try await snapshotter.write(harness.store.copyState())
        try await harness.commit(Array(mutations[35...]))
        try await harness.close()

        // The newest segment the snapshot at 35 wholly covers (the next one starts by 36) that holds a
        // record past the older snapshot at 20, so a fallback needs it.
        let segments = try Self.names(temporary.dataPath, suffix: ".seg")
        let firsts = try segments.map { name in try #require(UInt64(name.dropFirst(4).dropLast(4))) }
        let index = try #require(firsts.indices.dropLast().last { firsts[$0 + 1] <= 36 })
        let name = segments[index]
        let path = temporary.dataPath + "/" + name
        var bytes = try POSIXFileSystem().readFile(path)
        let scan = try LogSegmentScan.scan(bytes, file: name, firstSequence: firsts[index], isLast: false)
        let record = try #require(scan.records.last)
        #expect(record.sequence > 20 && record.sequence <= 35)
        bytes[record.payload.lowerBound + 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let recovered = try RecoveryTests.recover(temporary.dataPath)
        #expect(recovered.snapshot?.sequence == 35)
        #expect(StateRecords(recovered.state) == StateRecords(try Sample.state(after: mutations)))
        let covered = try #require(recovered.segments.first { $0.name == name })
        #expect(covered.lastSequence == firsts[index + 1] - 1 && covered.size == Int64(bytes.count))

        let verifyError = #expect(throws: StorageError.self) { _ = try StorageTools.verifyDataDirectory(at: temporary.dataPath) }
        guard case .corruptSegment(let file, let offset, let sequence, _) = verifyError else {
            Issue.record("verify gave \(String(describing: verifyError))")
            return
        }
        #expect(file == name && offset == record.offset && sequence == record.sequence)

        let newest = temporary.dataPath + "/" + StorageFileName.snapshot(35)
        var snapshot = try POSIXFileSystem().readFile(newest)
        snapshot[snapshot.count / 2 + 50] ^= 0x08
        try Data(snapshot).write(to: URL(fileURLWithPath: newest))
        let fallbackError = #expect(throws: StorageError.self) { _ = try RecoveryTests.recover(temporary.dataPath) }
        guard case .corruptSegment(let file, _, let sequence, _) = fallbackError else {
            Issue.record("fallback gave \(String(describing: fallbackError))")
            return
        }
        #expect(file == name && sequence == record.sequence)
    }

    @Test("a snapshot of a newer format version is refused; recovery falls back")
    func newerVersionRefused() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        try await harness.commit(Sample.everyKind())
        _ = try await harness.snapshotter().write(harness.store.copyState())
        try await harness.close()
        let path = temporary.dataPath + "/" + StorageFileName.snapshot(UInt64(Sample.everyKind().count))
        var bytes = try POSIXFileSystem().readFile(path)
        let newer = SnapshotHeader.currentVersion + 1
        bytes[8] = UInt8(newer)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let name = StorageFileName.snapshot(UInt64(Sample.everyKind().count))
        #expect(throws: StorageError.unknownFormatVersion(file: name, version: newer)) { _ = try StorageTools.verifySnapshot(at: path) }
        #expect(throws: StorageError.unknownFormatVersion(file: name, version: newer)) { _ = try StorageTools.inspectSnapshot(at: path) }
        let recovered = try StorageHarness.open(temporary.dataPath).recovered
        #expect(recovered.snapshot == nil)
        #expect(recovered.state == (try Sample.state(after: Sample.everyKind())))
    }

    /// A step of writing a snapshot that can fail.
    struct SnapshotFault: Sendable, CustomStringConvertible {
        var description: String
        var fault: FaultInjectingFileSystem.Fault
    }

    static let snapshotFaults: [SnapshotFault] = [
        SnapshotFault(description: "listing", fault: .init(.list, effect: .fail(errno: EIO))),
        SnapshotFault(description: "open temp", fault: .init(.open, pathContains: ".snap.tmp", effect: .fail(errno: ENOSPC))),
        SnapshotFault(description: "truncate temp", fault: .init(.truncate, pathContains: ".snap.tmp", effect: .fail(errno: EIO))),
        SnapshotFault(description: "write temp", fault: .init(.write, pathContains: ".snap.tmp", effect: .fail(errno: ENOSPC))),
        SnapshotFault(description: "short write", fault: .init(.write, pathContains: ".snap.tmp", effect: .shortWrite(bytes: 40, errno: ENOSPC))),
        SnapshotFault(description: "fsync temp", fault: .init(.synchronize, pathContains: ".snap.tmp", effect: .fail(errno: EIO))),
        SnapshotFault(description: "rename", fault: .init(.rename, pathContains: ".snap.tmp", effect: .fail(errno: EIO))),
        SnapshotFault(description: "directory sync", fault: .init(.open, pathContains: "/data", after: 1, effect: .fail(errno: EIO))),
        SnapshotFault(description: "read back", fault: .init(.read, pathContains: ".snap", effect: .fail(errno: EIO))),
    ]

    @Test("a fault at any step of a snapshot leaves the old snapshot and log, and recovery gives the same state", arguments: snapshotFaults)
    func faultDuringSnapshot(_ scenario: SnapshotFault) async throws {
        let temporary = TemporaryDirectory()
        let fileSystem = FaultInjectingFileSystem()
        let mutations = Sample.tasks(30)
        let harness = try StorageHarness.open(temporary.dataPath, fileSystem: fileSystem, options: LogJournalOptions(segmentBytes: 1024))
        let snapshotter = harness.snapshotter()
        try await harness.commit(Array(mutations.prefix(10)))
        _ = try await snapshotter.write(harness.store.copyState())
        try await harness.commit(Array(mutations[10...]))
        let before = try Self.names(temporary.dataPath, suffix: ".seg")

        var fault = scenario.fault
        if fault.pathContains == "/data" { fault.pathContains = temporary.dataPath }
        fileSystem.inject(fault)
        await #expect(throws: StorageError.self) { _ = try await snapshotter.write(harness.store.copyState()) }
        #expect(fileSystem.hits == 1)
        fileSystem.removeAllFaults()
        #expect(try Self.names(temporary.dataPath, suffix: ".seg") == before, "no log segment was deleted")
        #expect(try Self.names(temporary.dataPath, suffix: ".snap").contains(StorageFileName.snapshot(10)))
        try await harness.close()

        let recovered = try StorageHarness.open(temporary.dataPath).recovered
        #expect(StateRecords(recovered.state) == StateRecords(try Sample.state(after: mutations)))
        #expect(try Self.names(temporary.dataPath, suffix: ".tmp").isEmpty)
    }

    @Test("export then restore gives an identical state; a non-empty directory needs force")
    func exportRestore() async throws {
        let temporary = TemporaryDirectory()
        let mutations = Sample.everyKind() + [.apiKeyCreated(Sample.key(9, of: 2))]
        let harness = try StorageHarness.open(temporary.dataPath)
        try await harness.commit(mutations)
        let outcome = try #require(try await harness.snapshotter().write(harness.store.copyState()))
        try await harness.close()
        let snapshotPath = temporary.dataPath + "/" + outcome.file

        let json = try StorageTools.exportSnapshot(at: snapshotPath)
        let export = try JSONDecoder().decode(StateExport.self, from: json)
        let expected = try Sample.state(after: mutations)
        #expect(StateRecords(try export.records.makeState()) == StateRecords(expected))
        #expect(String(decoding: json, as: UTF8.self).contains(Sample.key(9, of: 2).secretHash))
        // Times are RFC 3339 strings, ids lowercase UUID strings, keys in a stable (sorted) order.
        let text = String(decoding: json, as: UTF8.self)
        #expect(!text.contains("millisecondsSinceEpoch"))
        #expect(text.contains("\"createdAt\" : \"\(Sample.time(9).rfc3339)\""))
        #expect(text.contains("\"id\" : \"\(APIKeyID(uuid: Sample.uuid(2, 9)).description)\""))
        let apiKeysAt = try #require(text.range(of: "\"apiKeys\""))
        let usersAt = try #require(text.range(of: "\"users\""))
        #expect(apiKeysAt.lowerBound < usersAt.lowerBound)
        #expect(try StorageTools.exportSnapshot(at: snapshotPath) == json)

        let target = temporary.path("restored")
        let restored = try StorageTools.restoreSnapshot(at: snapshotPath, into: target, force: false)
        #expect(restored.movedAsideTo == nil)
        let recovered = try StorageHarness.open(target)
        #expect(StateRecords(recovered.recovered.state) == StateRecords(expected))
        #expect(StateCodec.encode(recovered.recovered.state) == StateCodec.encode(expected))
        try await recovered.commit(.userCreated(Sample.user(50)))
        #expect(throws: StorageError.directoryInUse(directory: target)) {
            _ = try StorageTools.restoreSnapshot(at: snapshotPath, into: target, force: true)
        }
        try await recovered.close()

        #expect(throws: StorageError.directoryNotEmpty(target)) { _ = try StorageTools.restoreSnapshot(at: snapshotPath, into: target, force: false) }
        let forced = try StorageTools.restoreSnapshot(at: snapshotPath, into: target, force: true, now: Sample.time(0))
        let aside = try #require(forced.movedAsideTo)
        #expect(try Self.names(target + "/" + aside, suffix: ".seg").count == 1)
        #expect(StateRecords(try StorageHarness.open(target).recovered.state) == StateRecords(expected))
    }

    @Test("inspect shows the header; verify checks a whole data directory and reports a torn tail")
    func inspectAndVerify() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath, options: LogJournalOptions(segmentBytes: 300))
        try await harness.commit(Array(Sample.everyKind().prefix(10)))
        let outcome = try #require(try await harness.snapshotter().write(harness.store.copyState()))
        try await harness.commit(Array(Sample.everyKind()[10...]))
        try await harness.close()

        let summary = try StorageTools.inspectSnapshot(at: temporary.dataPath + "/" + outcome.file)
        #expect(summary.header.sequence == 10 && summary.header.counts.users == 2 && summary.bodyChecksumValid)
        #expect(summary.description.contains("sequence: 10"))
        let report = try StorageTools.verifyDataDirectory(at: temporary.dataPath)
        #expect(report.sequence == UInt64(Sample.everyKind().count))
        #expect(report.snapshots.count == 1)

        let last = try #require(try Self.names(temporary.dataPath, suffix: ".seg").last)
        let size = try POSIXFileSystem().readFile(temporary.dataPath + "/" + last).count
        let handle = try #require(FileHandle(forWritingAtPath: temporary.dataPath + "/" + last))
        handle.seekToEndOfFile()
        handle.write(Data([1, 2, 3]))
        handle.closeFile()
        let error = #expect(throws: StorageError.self) { _ = try StorageTools.verifyDataDirectory(at: temporary.dataPath) }
        #expect(error?.description.contains(last) == true)
        #expect(try POSIXFileSystem().readFile(temporary.dataPath + "/" + last).count == size + 3, "verify repairs nothing")
    }
}
