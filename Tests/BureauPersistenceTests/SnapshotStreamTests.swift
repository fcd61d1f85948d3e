import BureauPersistence
import BureauStore
import BureauTestSupport
import Foundation
import Testing

@Suite("Snapshots written and verified piece by piece")
struct SnapshotStreamTests {
    /// Every prefix of the history of every kind: together they hold every kind of section, each empty in
    /// some and not in others (the idempotency records, for one, exist only before they expire).
    static func variedStates() throws -> [StoreState] {
        let mutations = Sample.everyKind()
        return try (0...mutations.count).map { try Sample.state(after: Array(mutations.prefix($0))) }
    }

    /// Three users with a desktop each and `tasks` tasks of random content (16 to 600 bytes, so that little
    /// compresses away), some of them finished with a result: a body and a compressed body of many chunks.
    static func largeState(tasks: Int) throws -> StoreState {
        var rng = SplitMix64(seed: 42)
        var mutations: [Mutation] = []
        for user in UInt64(1)...3 {
            mutations.append(.userCreated(Sample.user(user)))
            mutations.append(.desktopCreated(Sample.desktop(user, of: user, ordinal: user)))
        }
        let letters = Array("abcdefghijklmnopqrstuvwxyz ,.0123456789ÄÖü✓")
        for n in 0..<tasks {
            let user = UInt64(n % 3) + 1
            let content = String((0..<Int.random(in: 16...600, using: &rng)).map { _ in letters.randomElement(using: &rng)! })
            let task = Sample.task(UInt64(n), of: user, on: user, ordinal: UInt64(n + 10), content: content)
            mutations.append(.taskCreated(TaskCreation(task: task, idempotency: nil)))
            if n % 7 == 0 {
                mutations.append(.taskUpdated(TaskChange(id: task.id, status: .running, result: nil, at: Sample.time(Int64(n)))))
                mutations.append(.taskUpdated(TaskChange(id: task.id, status: .completed, result: "result \(n)", at: Sample.time(Int64(n) + 1))))
            }
        }
        return try Sample.state(after: mutations)
    }

    /// The pieces `StateCodec.encode(_:chunkSize:emit:)` hands over.
    static func pieces(_ records: StateRecords, chunkSize: Int) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        StateCodec.encode(records, chunkSize: chunkSize) { (piece: [UInt8]) in pieces.append(piece) }
        return pieces
    }

    @Test("the body encoded in pieces is byte for byte the body encoded whole, for every section kind and piece size")
    func piecesMakeTheSameBody() throws {
        for state in try Self.variedStates() {
            let records = StateRecords(state)
            let whole = StateCodec.encode(records)
            for chunkSize in [1, 64, 65, 100, 137, 256, 1000, 1 << 20] {
                #expect(Array(Self.pieces(records, chunkSize: chunkSize).joined()) == whole, "chunk size \(chunkSize)")
            }
        }
        let empty = StateRecords(StoreState())
        #expect(Array(Self.pieces(empty, chunkSize: 64).joined()) == StateCodec.encode(empty))
    }

    @Test("a large body comes in pieces of about the chunk size, sections longer than a chunk included")
    func largeBodyInPieces() throws {
        let records = StateRecords(try Self.largeState(tasks: 3000))
        let whole = StateCodec.encode(records)
        for chunkSize in [4096, 65536] {
            let pieces = Self.pieces(records, chunkSize: chunkSize)
            #expect(Array(pieces.joined()) == whole)
            #expect(pieces.count > whole.count / (chunkSize * 2), "the body is handed over in many pieces")
            // A piece closes at the first record boundary past the chunk size: larger by at most a record
            // (a task here is under 1 KiB; each user's whole activity is one record).
            #expect(pieces.dropLast().allSatisfy { $0.count >= chunkSize })
            #expect(pieces.filter { $0.count >= chunkSize + 1024 }.count <= records.activity.count)
        }
    }

    @Test("a snapshot written to its file piece by piece is byte for byte the one encoded whole")
    func writtenFileIsByteIdentical() throws {
        let temporary = TemporaryDirectory()
        let states = try Self.variedStates() + [StoreState(), try Self.largeState(tasks: 2500)]
        for (index, state) in states.enumerated() {
            let records = StateRecords(state)
            let (expectedHeader, expected) = try SnapshotFile.encode(records, createdAt: Sample.time(99))
            for chunkSize in [64, 4096, SnapshotFile.defaultChunkSize] {
                let path = temporary.path("\(index)-\(chunkSize).snap")
                let header = try SnapshotFile.write(
                    records,
                    createdAt: Sample.time(99),
                    to: path,
                    directory: temporary.path,
                    fileSystem: POSIXFileSystem(),
                    permissions: 0o600,
                    chunkSize: chunkSize
                )
                #expect(header == expectedHeader)
                #expect(try POSIXFileSystem().readFile(path) == expected, "state \(index), chunk size \(chunkSize)")
                #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
                #expect(StateRecords(try SnapshotFile.decode(expected, file: "x").state) == records)
            }
        }
    }

    @Test("the streamed check accepts what was written, however small its chunks (records straddle every chunk boundary)")
    func verifyAcceptsWhatWasWritten() throws {
        let temporary = TemporaryDirectory()
        for (index, state) in (try Self.variedStates() + [try Self.largeState(tasks: 1500)]).enumerated() {
            let records = StateRecords(state)
            let path = temporary.path("\(index).snap")
            let written = try SnapshotFile.write(
                records,
                createdAt: Sample.time(1),
                to: path,
                directory: temporary.path,
                fileSystem: POSIXFileSystem(),
                permissions: 0o600
            )
            for chunkSize in [1, 7, 64, 1000, SnapshotFile.defaultChunkSize] {
                let header = try SnapshotFile.verify(path, file: "x", fileSystem: POSIXFileSystem(), against: records, chunkSize: chunkSize)
                #expect(header == written)
            }
        }
    }

    /// Writes `bytes` to `path` and returns whether the streamed check against `records` refuses it as a
    /// damaged snapshot.
    static func refused(_ bytes: [UInt8], at path: String, against records: StateRecords, chunkSize: Int = 64) throws -> Bool {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            try SnapshotFile.verify(path, file: "x", fileSystem: POSIXFileSystem(), against: records, chunkSize: chunkSize)
            return false
        } catch StorageError.corruptSnapshot, StorageError.unknownFormatVersion {
            return true
        }
    }

    @Test("the streamed check refuses a file with any one byte flipped")
    func verifyDetectsEveryFlippedByte() throws {
        let temporary = TemporaryDirectory()
        let records = StateRecords(try Sample.state(after: Sample.everyKind()))
        let (_, bytes) = try SnapshotFile.encode(records, createdAt: Sample.time(1))
        let path = temporary.path("flipped.snap")
        #expect(try !Self.refused(bytes, at: path, against: records))
        for index in bytes.indices {
            for bit in [0, 5] {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                #expect(try Self.refused(flipped, at: path, against: records), "byte \(index), bit \(bit)")
            }
        }
    }

    @Test("the streamed check refuses a truncated file, and one with bytes after its body")
    func verifyDetectsTruncationAndTrailingBytes() throws {
        let temporary = TemporaryDirectory()
        let records = StateRecords(try Self.largeState(tasks: 200))
        let (header, bytes) = try SnapshotFile.encode(records, createdAt: Sample.time(1))
        let path = temporary.path("cut.snap")
        for length in Array(0..<130) + Array(stride(from: 130, to: bytes.count, by: 97)) + [bytes.count - 1] {
            #expect(try Self.refused(Array(bytes.prefix(length)), at: path, against: records), "cut at \(length)")
        }
        // Bytes after the compressed body, with a header (checksums included) that owns up to them.
        let extra: [UInt8] = [1, 2, 3]
        var longer = header
        longer.compressedSize += UInt64(extra.count)
        longer.bodyChecksum = CRC32.castagnoli.checksum(Array(bytes[header.size...]) + extra)
        #expect(try Self.refused(longer.bytes + bytes[header.size...] + extra, at: path, against: records))
        // A body that claims more bytes than it holds.
        var bigger = header
        bigger.bodySize += 1
        #expect(try Self.refused(bigger.bytes + bytes[header.size...], at: path, against: records))
    }

    @Test("the streamed check refuses a file that holds other records than expected: a wrong count, a changed or a missing record")
    func verifyDetectsOtherRecords() throws {
        let temporary = TemporaryDirectory()
        let path = temporary.path("other.snap")
        let state = try Self.largeState(tasks: 300)
        let records = StateRecords(state)
        let (header, bytes) = try SnapshotFile.encode(records, createdAt: Sample.time(1))
        #expect(try !Self.refused(bytes, at: path, against: records))

        var fewer = records
        fewer.tasks.removeLast()
        #expect(try Self.refused(bytes, at: path, against: fewer), "the header's count differs")
        // The header agrees with the expected records, the body holds one task more: its section's count differs.
        var agreeing = header
        agreeing.counts = fewer.counts
        #expect(try Self.refused(agreeing.bytes + bytes[header.size...], at: path, against: fewer))

        var changed = records
        let task = changed.tasks[150]
        changed.tasks[150] = MissionTask(
            id: task.id,
            ownerID: task.ownerID,
            desktopID: task.desktopID,
            type: task.type,
            content: task.content + ".",
            status: task.status,
            result: task.result,
            createdAt: task.createdAt,
            updatedAt: task.updatedAt,
            ordinal: task.ordinal
        )
        #expect(try Self.refused(bytes, at: path, against: changed), "one task's content differs")

        var otherSequence = records
        otherSequence.sequence += 1
        #expect(try Self.refused(bytes, at: path, against: otherSequence))

        var otherActivity = records
        otherActivity.activity[0].events.removeFirst()
        #expect(try Self.refused(bytes, at: path, against: otherActivity))
    }

    @Test("the records' check without a state agrees with rebuilding the state, on consistent and inconsistent records")
    func consistencyCheckAgreesWithMakeState() throws {
        func agree(_ records: StateRecords, _ label: String) {
            let rebuilt = Result { () throws(InconsistentState) in try records.makeState() }
            let checked = Result { () throws(InconsistentState) in try records.checkConsistency() }
            switch (rebuilt, checked) {
            case (.success, .success), (.failure, .failure): break
            default: Issue.record("\(label): makeState \(rebuilt), checkConsistency \(checked)")
            }
        }
        for (index, state) in try Self.variedStates().enumerated() { agree(StateRecords(state), "history prefix \(index)") }
        let records = StateRecords(try Self.largeState(tasks: 60))
        agree(records, "large")
        #expect(throws: Never.self) { try records.checkConsistency() }

        var inconsistent: [(String, StateRecords)] = []
        var r = records
        r.tasks.append(r.tasks[10])
        inconsistent.append(("a task listed twice", r))
        r = records
        r.tasks.swapAt(3, 6)
        inconsistent.append(("tasks out of order", r))
        r = records
        r.users.removeFirst()
        inconsistent.append(("tasks of an unknown user", r))
        r = records
        let stray = r.tasks[0]
        r.tasks[0] = Sample.task(9999, of: 2, on: 1, ordinal: stray.ordinal)
        inconsistent.append(("a task on another user's desktop", r))
        r = records
        r.users.append(r.users[0])
        inconsistent.append(("a user listed twice", r))
        r = records
        r.activity.append(r.activity[0])
        inconsistent.append(("activity listed twice", r))
        r = records
        r.sequence = 1
        inconsistent.append(("events after the sequence", r))
        for (label, records) in inconsistent {
            agree(records, label)
            #expect(throws: InconsistentState.self, "\(label)") { try records.checkConsistency() }
        }
    }
}
