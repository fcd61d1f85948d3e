import BureauPersistence
import BureauStore
import Foundation
import Logging
import Testing

/// Every field a later step does arithmetic on, set to extreme values in every record kind and every
/// header, then fed to every consumer (decode, verify, inspect, export, restore, recovery): each refuses
/// with an error naming the value, none traps.
@Suite("Decoders and tools under extreme values")
struct ExtremeValueTests {
    /// Times no decoder may accept.
    static let badTimes: [Int64] = [
        .min, .min + 1, Timestamp.validRange.lowerBound - 1, Timestamp.validRange.upperBound + 1, .max - 1, .max,
    ]

    /// Sequences and ordinals no decoder may accept.
    static let badSequences: [UInt64] = [UInt64(Int64.max) + 1, .max - 1, .max]

    /// `mutation` once for each of its timestamp fields, that field set to `time`.
    static func variants(of mutation: Mutation, time: Int64) -> [Mutation] {
        let t = Timestamp(millisecondsSinceEpoch: time)
        func each<Value>(_ values: [Value], _ set: (inout Value) -> Void) -> [[Value]] {
            values.indices.map { index in
                var copy = values
                set(&copy[index])
                return copy
            }
        }
        switch mutation {
        case .userCreated(var user):
            user.createdAt = t
            return [.userCreated(user)]
        case .apiKeyCreated(let key):
            var (a, b, c, d) = (key, key, key, key)
            (a.createdAt, b.lastUsedAt, c.revokedAt, d.expiresAt) = (t, t, t, t)
            return [a, b, c, d].map { .apiKeyCreated($0) }
        case .apiKeyRolled(let roll):
            var (a, b, c) = (roll, roll, roll)
            (a.expiresAt, b.at, c.successor.createdAt) = (t, t, t)
            return [a, b, c].map { .apiKeyRolled($0) }
        case .apiKeyRevoked(var revocation):
            revocation.at = t
            return [.apiKeyRevoked(revocation)]
        case .apiKeyLeaked(var revocation):
            revocation.at = t
            return [.apiKeyLeaked(revocation)]
        case .apiKeysUsed(let uses):
            return each(uses) { $0.at = t }.map { .apiKeysUsed($0) }
        case .apiKeysRevokedUnused(var revocation):
            revocation.at = t
            return [.apiKeysRevokedUnused(revocation)]
        case .desktopCreated(let desktop):
            var (a, b) = (desktop, desktop)
            (a.createdAt, b.updatedAt) = (t, t)
            return [.desktopCreated(a), .desktopCreated(b)]
        case .desktopUpdated(var change):
            change.at = t
            return [.desktopUpdated(change)]
        case .desktopDeleted(var deletion):
            deletion.at = t
            return [.desktopDeleted(deletion)]
        case .taskCreated(let creation):
            var (a, b, c) = (creation, creation, creation)
            (a.task.createdAt, b.task.updatedAt) = (t, t)
            c.idempotency?.createdAt = t
            return (creation.idempotency == nil ? [a, b] : [a, b, c]).map { .taskCreated($0) }
        case .taskUpdated(var change):
            change.at = t
            return [.taskUpdated(change)]
        case .sessionCreated(let session):
            var (a, b) = (session, session)
            (a.createdAt, b.lastSeenAt) = (t, t)
            return [.sessionCreated(a), .sessionCreated(b)]
        case .sessionEnded(var ending):
            ending.at = t
            return [.sessionEnded(ending)]
        case .sessionsUsed(let uses):
            return each(uses) { $0.at = t }.map { .sessionsUsed($0) }
        case .sessionsPruned(var pruning):
            pruning.at = t
            return [.sessionsPruned(pruning)]
        case .idempotencyExpired(var expiry):
            expiry.at = t
            return [.idempotencyExpired(expiry)]
        }
    }

    /// Every history of ``Sample/everyKind()`` with one timestamp field of one record set to `time`.
    static func histories(time: Int64) -> [[Mutation]] {
        let base = Sample.everyKind()
        return base.indices.flatMap { index in
            variants(of: base[index], time: time).map { variant in
                var history = base
                history[index] = variant
                return history
            }
        }
    }

    @Test("every timestamp field of every log record kind: out of range is refused, naming the time")
    func logRecordTimes() throws {
        var checked = 0
        for time in Self.badTimes {
            for mutation in Sample.everyKind() {
                for variant in Self.variants(of: mutation, time: time) {
                    let (type, payload) = MutationCodec.encode(variant)
                    let error = thrownError { try MutationCodec.decode(type: type, payload) }
                    #expect(error.map { "\($0)".contains("time \(time) ms since the epoch is outside years 0000 to 9999") } == true)
                    checked += 1
                }
            }
        }
        #expect(checked >= Self.badTimes.count * 30, "every field was reached")
        for time in [Timestamp.validRange.lowerBound, Timestamp.validRange.upperBound] {
            for variant in Sample.everyKind().flatMap({ Self.variants(of: $0, time: time) }) {
                let (type, payload) = MutationCodec.encode(variant)
                #expect(try MutationCodec.decode(type: type, payload) == variant, "the bounds themselves are valid")
            }
        }
    }

    @Test("ordinals of desktops and tasks past Int64.max are refused in log records and snapshots")
    func ordinals() throws {
        for ordinal in Self.badSequences {
            let desktop = Sample.desktop(9, of: 1, ordinal: ordinal)
            let task = Sample.task(9, of: 1, on: 9, ordinal: ordinal)
            for mutation in [Mutation.desktopCreated(desktop), .taskCreated(TaskCreation(task: task, idempotency: nil))] {
                let (type, payload) = MutationCodec.encode(mutation)
                #expect(throws: CodecError.self) { try MutationCodec.decode(type: type, payload) }
            }
            let records = StateRecords(sequence: 3, users: [Sample.user(1)], apiKeys: [], desktops: [desktop], tasks: [task], idempotency: [])
            let (_, bytes) = try SnapshotFile.encode(records, createdAt: Sample.time(0))
            #expect(refuses("ordinal \(ordinal) is larger than \(Int64.max)") { try SnapshotFile.decode(bytes, file: "s") })
        }
    }

    @Test("snapshot bodies with an out-of-range time: verify, export, restore and recovery refuse; inspect reads the header")
    func snapshotBodyTimes() throws {
        let temporary = TemporaryDirectory()
        var checked = 0
        for time in [Int64.min, Int64.max] {
            var writer = BinaryWriter(capacity: 10)
            writer.writeSignedVarint(time)
            let encodedTime = writer.bytes
            for history in Self.histories(time: time) {
                guard let state = try? Sample.state(after: history) else { continue }
                // Some times are not kept in the state (a use older than the last one, the time of a
                // deletion): such a snapshot is valid.
                let body = StateCodec.encode(state)
                guard body.indices.contains(where: { body[$0...].starts(with: encodedTime) }) else { continue }
                let (_, bytes) = try SnapshotFile.encode(state, createdAt: Sample.time(0))
                let path = temporary.path("body.snap")
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let reason = "outside years 0000 to 9999"
                #expect(refuses(reason) { try StorageTools.verifySnapshot(at: path) })
                #expect(refuses(reason) { try StorageTools.exportSnapshot(at: path) })
                #expect(refuses(reason) { try StorageTools.restoreSnapshot(at: path, into: temporary.path("restored"), force: false) })
                #expect(try StorageTools.inspectSnapshot(at: path).header.createdAt == Sample.time(0))

                // In a data directory: recovery falls back to the empty state, saying why; data verify refuses.
                let data = temporary.path("data-\(checked)")
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
                try Data(bytes).write(to: URL(fileURLWithPath: data + "/" + StorageFileName.snapshot(state.sequence)))
                let directory = try DataDirectory(path: data)
                let recovered = try Recovery.recover(directory, logger: StorageHarness.logger)
                directory.unlock()
                #expect(recovered.snapshot == nil && recovered.skippedSnapshots.count == 1)
                #expect(recovered.skippedSnapshots.first?.contains("outside years 0000 to 9999") == true)
                #expect(refuses(reason) { try StorageTools.verifyDataDirectory(at: data, logger: StorageHarness.logger) })
                checked += 1
            }
        }
        #expect(checked >= 30, "\(checked) snapshots checked")
    }

    @Test("log segments with an out-of-range time: recovery and data verify refuse, naming file and sequence")
    func segmentTimes() throws {
        let temporary = TemporaryDirectory()
        for (index, history) in Self.histories(time: Int64.min).enumerated() {
            var segment = SegmentHeader(firstSequence: 1).bytes
            for (offset, mutation) in history.enumerated() { segment += RecordFrame.encode(mutation, sequence: UInt64(offset + 1)) }
            let data = temporary.path("data-\(index)")
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try Data(segment).write(to: URL(fileURLWithPath: data + "/" + StorageFileName.segment(1)))
            let refused = { (error: (any Error)?) -> Bool in
                guard case .corruptSegment(let file, _, _, let reason) = error as? StorageError else { return false }
                return file == StorageFileName.segment(1) && reason.contains("outside years 0000 to 9999")
            }
            #expect(refused(thrownError { try StorageTools.verifyDataDirectory(at: data, logger: StorageHarness.logger) }))
            let directory = try DataDirectory(path: data)
            defer { directory.unlock() }
            #expect(refused(thrownError { try Recovery.recover(directory, logger: StorageHarness.logger) }))
        }
    }

    /// A snapshot of the sample state whose header has `change` applied (its checksum recomputed).
    static func snapshot(header change: (inout SnapshotHeader) -> Void) throws -> [UInt8] {
        let (header, bytes) = try SnapshotFile.encode(try Sample.state(after: Sample.everyKind()), createdAt: Sample.time(0))
        var crafted = header
        change(&crafted)
        return crafted.bytes + bytes[header.size...]
    }

    @Test("every snapshot header field at extreme values: no tool traps; sequence and time are refused by name")
    func snapshotHeaderFields() throws {
        let temporary = TemporaryDirectory()
        let path = temporary.path("header.snap")
        let extremes: [UInt64] = [0, 1, UInt64(Int64.max), UInt64(Int64.max) + 1, .max]
        let fields: [(String, (inout SnapshotHeader, UInt64) -> Void)] = [
            ("sequence", { $0.sequence = $1 }),
            ("createdAt", { $0.createdAt = Timestamp(millisecondsSinceEpoch: Int64(bitPattern: $1)) }),
            ("users", { $0.counts.users = $1 }), ("apiKeys", { $0.counts.apiKeys = $1 }), ("desktops", { $0.counts.desktops = $1 }),
            ("tasks", { $0.counts.tasks = $1 }), ("idempotency", { $0.counts.idempotencyRecords = $1 }),
            ("sessions", { $0.counts.sessions = $1 }), ("bodySize", { $0.bodySize = $1 }), ("compressedSize", { $0.compressedSize = $1 }),
            ("bodyChecksum", { $0.bodyChecksum = UInt32(truncatingIfNeeded: $1) }),
        ]
        for (name, set) in fields {
            for value in extremes {
                let bytes = try Self.snapshot { set(&$0, value) }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                // Each either answers or throws a StorageError: reaching the next line is the test.
                let inspected = Result { try StorageTools.inspectSnapshot(at: path) }
                _ = try? inspected.get().description
                _ = try? StorageTools.verifySnapshot(at: path)
                _ = try? StorageTools.exportSnapshot(at: path)
                _ = try? StorageTools.restoreSnapshot(at: path, into: temporary.path("restored-\(name)-\(value)"), force: false)
                if name == "sequence", value > UInt64(Int64.max) {
                    #expect(refuses("header sequence \(value) is larger than") { try inspected.get() })
                }
                if name == "createdAt", !Timestamp.validRange.contains(Int64(bitPattern: value)) {
                    #expect(
                        refuses("header creation time \(Int64(bitPattern: value)) ms since the epoch is outside years 0000 to 9999") {
                            try inspected.get()
                        }
                    )
                }
            }
        }
    }

    @Test("sequences past Int64.max in snapshot bodies, event ids, segment names and records are refused")
    func sequences() throws {
        let temporary = TemporaryDirectory()
        for sequence in Self.badSequences {
            // The body's own sequence (the header's matches, so only the body check can refuse it).
            let records = StateRecords(sequence: sequence, users: [], apiKeys: [], desktops: [], tasks: [], idempotency: [])
            #expect(throws: CodecError.self) { try StateCodec.decode(StateCodec.encode(records)) }
            // An event id.
            let user = Sample.user(1)
            let activity = UserActivityRecord(userID: user.id, droppedThrough: ActivityEventID(sequence: sequence), events: [])
            let withActivity = StateRecords(sequence: 1, users: [user], apiKeys: [], desktops: [], tasks: [], idempotency: [], activity: [activity])
            #expect(refuses("event sequence \(sequence) is larger than") { try StateCodec.decode(StateCodec.encode(withActivity)) })
        }
        // Segments named (and headed) with a first sequence of 0 or past the limit.
        for first in [UInt64(0)] + Self.badSequences {
            let data = temporary.path("segment-\(first)")
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let segment = SegmentHeader(firstSequence: first).bytes + RecordFrame.encode(.userCreated(Sample.user(1)), sequence: first)
            try Data(segment).write(to: URL(fileURLWithPath: data + "/" + StorageFileName.segment(first)))
            let reason = "first sequence \(first) is outside"
            #expect(refuses(reason) { try StorageTools.verifyDataDirectory(at: data, logger: StorageHarness.logger) })
            let directory = try DataDirectory(path: data)
            #expect(refuses(reason) { try Recovery.recover(directory, logger: StorageHarness.logger) })
            directory.unlock()
        }
        // A segment starting at the last valid sequence whose second record would pass it.
        let last = UInt64(Int64.max)
        var segment = SegmentHeader(firstSequence: last).bytes
        segment += RecordFrame.encode(.userCreated(Sample.user(1)), sequence: last)
        segment += RecordFrame.encode(.userCreated(Sample.user(2)), sequence: last + 1)
        #expect(
            refuses("record sequence \(last + 1) is larger than") { try LogSegmentScan.scan(segment, file: "s", firstSequence: last, isLast: true) }
        )
    }

    @Test("times render without trapping at and beyond the valid range, clamped to it")
    func rendering() {
        #expect(Timestamp(millisecondsSinceEpoch: .min).rfc3339 == "0000-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: .max).rfc3339 == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSinceEpoch: Timestamp.validRange.lowerBound).rfc3339 == "0000-01-01T00:00:00.000Z")
        #expect(
            Timestamp(millisecondsSinceEpoch: .max).adding(milliseconds: .max) == Timestamp(millisecondsSinceEpoch: Timestamp.validRange.upperBound)
        )
        #expect(Timestamp(millisecondsSinceEpoch: 0).adding(milliseconds: .min) == Timestamp(millisecondsSinceEpoch: Timestamp.validRange.lowerBound))
    }
}

/// The error `body` throws, `nil` when it returns.
func thrownError(_ body: () throws -> some Any) -> (any Error)? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// Whether `body` throws an error whose description contains `text`.
func refuses(_ text: String, _ body: () throws -> some Any) -> Bool {
    thrownError(body).map { "\($0)".contains(text) } ?? false
}
