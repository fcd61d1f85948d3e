import Foundation
import Testing

@testable import BureauPersistence
@testable import BureauStore

/// A snapshot's histories are decoded straight into the form the state stores them in, and handed over as
/// they are: these check that nothing is lost or let through on the way.
@Suite("Activity records in the stored form")
struct ActivityRecordTests {
    /// The address of the buffer each user's history is held in, for users whose history has a buffer.
    private static func buffers(of state: StoreState) -> [UserID: UnsafeRawPointer] {
        var found: [UserID: UnsafeRawPointer] = [:]
        for (userID, entry) in state.userEntries {
            guard case .ring(let ring) = entry.activity, !ring.storage.isEmpty else { continue }
            found[userID] = ring.storage.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        }
        return found
    }

    @Test("a decoded snapshot restores the live state exactly (key events by id)")
    func restoredExactly() throws {
        let state = try Sample.state(after: Sample.everyKind())
        let records = try StateCodec.decode(StateCodec.encode(state))
        #expect(records == StateRecords(state))
        let keyEvents = records.activity.flatMap(\.events).filter { if case .apiKey = $0.subject { true } else { false } }
        #expect(keyEvents.count >= 3, "the sample's histories hold key events")
        let restored = try (consume records).makeState(activityCapacity: state.activityCapacity)
        #expect(restored == state, "the same state, key events stored by id as the live state stores them")
    }

    @Test("a decoded history without key events is kept in the very buffer it was decoded into")
    func restoredInDecodedBuffers() throws {
        let state = try Sample.state(after: Sample.tasks(40))
        let records = try StateCodec.decode(StateCodec.encode(state))
        var decoded: [UserID: UnsafeRawPointer] = [:]
        for record in records.activity where record.stored.count > 1 {
            decoded[record.userID] = record.stored.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        }
        #expect(decoded.count == 1)
        let restored = try (consume records).makeState(activityCapacity: state.activityCapacity)
        #expect(restored == state)
        #expect(Self.buffers(of: restored) == decoded, "each history kept the buffer it was decoded into")
    }

    @Test("a live state's records share its histories' buffers (a snapshot copies no history), and encode as a copy's would")
    func recordsShareLiveBuffers() throws {
        var state = StoreState(activityCapacity: 4)
        for (index, mutation) in Sample.everyKind().enumerated() { try state.apply(mutation, sequence: UInt64(index + 1)) }
        let records = StateRecords(state)
        var shared = 0
        for record in records.activity {
            guard case .ring(let ring) = state.userEntries[record.userID]?.activity else { continue }
            let live = ring.events.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
            #expect(record.stored.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) } == live)
            shared += 1
        }
        #expect(shared >= 1)
        #expect(records.activity.contains { $0.stored.contains { if case .apiKey = $0.subject { true } else { false } } })
        // The same records with every key summary written out encode to the same bytes and compare equal.
        var written = records
        for position in written.activity.indices { written.activity[position].events = written.activity[position].events }
        #expect(!written.activity.contains { $0.stored.contains { if case .apiKey = $0.subject { true } else { false } } })
        #expect(written == records)
        #expect(StateCodec.encode(written) == StateCodec.encode(records))
        try records.checkConsistency()
        #expect(try records.makeState(activityCapacity: 4) == state)
        #expect(try written.makeState(activityCapacity: 4) == state)
    }

    @Test("a record's events read back as they were given, key summaries included, through JSON as well")
    func eventsRoundTrip() throws {
        let state = try Sample.state(after: Sample.everyKind())
        let ada = UserID(uuid: Sample.uuid(1, 1))
        let live = try #require(state.activity[ada])
        let record = UserActivityRecord(userID: ada, droppedThrough: live.droppedThrough, events: Array(live.events))
        #expect(record.events == Array(live.events))
        #expect(StateRecords(state).activity.first { $0.userID == ada } == record)
        let json = try JSONEncoder().encode(record)
        #expect(try JSONDecoder().decode(UserActivityRecord.self, from: json) == record)
        let fields = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(fields.keys) == ["userID", "events"] || Set(fields.keys) == ["userID", "droppedThrough", "events"])
    }

    @Test("a history holding another user's event is refused, whether given as events or read from a file")
    func otherUsersEventRefused() throws {
        let state = try Sample.state(after: Sample.everyKind())
        let ada = UserID(uuid: Sample.uuid(1, 1))
        var records = StateRecords(state)
        let position = try #require(records.activity.firstIndex { $0.userID == ada && $0.stored.count > 1 })
        let other = UserID.random()

        // Given as events (an imported export, say).
        var given = records
        var events = given.activity[position].events
        events[events.count - 1].userID = other
        given.activity[position].events = events
        #expect(given.activity[position].holdsOtherUsersEvents)
        #expect(throws: InconsistentState.self) { try given.makeState() }
        #expect(throws: InconsistentState.self) { try given.checkConsistency() }

        // Read from a file whose last event names another user.
        let record = records.activity[position]
        var w = BinaryWriter(capacity: 256)
        w.structure { w in
            w.write(record.userID.uuid)
            w.writeOptional(record.droppedThrough) { $0.write($1) }
            w.writeVarint(UInt64(record.stored.count))
            let scope = ActivitySubjectIndex(records).scope(of: record.userID)
            for (index, event) in record.stored.enumerated() {
                w.write(event, of: index == record.stored.count - 1 ? other : record.userID, keys: record.keys, subjects: scope)
            }
        }
        var r = BinaryReader(w.bytes)
        let read = try r.readUserActivityRecord(tasks: records.tasks, desktops: records.desktops)
        #expect(read.holdsOtherUsersEvents)
        #expect(Array(read.stored) == record.stored.map { $0.withSummary(keys: record.keys) })
        records.activity[position] = read
        #expect(throws: InconsistentState.self) { try records.makeState() }
    }

    @Test("a history restored at a smaller capacity keeps the newest events, the key events among them by id")
    func smallerCapacity() throws {
        let state = try Sample.state(after: Sample.everyKind())
        let records = try StateCodec.decode(StateCodec.encode(state))
        let restored = try records.makeState(activityCapacity: 2)
        for record in records.activity {
            let kept = restored.activity[record.userID]
            #expect(kept?.events.map(\.id) == record.events.suffix(2).map(\.id))
            #expect(kept.map { Array($0.events) } == Array(record.events.suffix(2)))
            if record.events.count > 2 { #expect(kept?.droppedThrough == record.events.dropLast(2).last?.id) }
            for event in restored.userEntries[record.userID]?.activity.events ?? StoredActivityEvents(single: nil, slice: []) {
                if case .apiKeySummary(let summary) = event.subject {
                    Issue.record("key \(summary.id) kept its summary although its record shows the same")
                }
            }
        }
    }

    @Test("records whose key events are stored by id compare by the summaries their own key tables give them")
    func keyEventsCompareBySummary() {
        let user = UserID(uuid: Sample.uuid(1, 1))
        let key = Sample.key(1, of: 1)
        var renamed = key
        renamed.name = "another name"
        var first = APIKeyTable()
        first[key.id] = key
        var second = APIKeyTable()
        second[renamed.id] = renamed
        let event = StoredActivityEvent(id: ActivityEventID(sequence: 3), kind: .apiKeyCreated, at: key.createdAt, subject: .apiKey(key.id))
        let a = UserActivityRecord(userID: user, droppedThrough: nil, storage: [event], keys: first)
        let b = UserActivityRecord(userID: user, droppedThrough: nil, storage: [event], keys: second)
        let written = UserActivityRecord(userID: user, droppedThrough: nil, events: a.events)
        #expect(a != b, "the same id, two different summaries")
        #expect(a == written && written == a)
        #expect(b != written)
        #expect(a.hashValue == written.hashValue)
    }

    @Test("a history holding another user's event is not rendered as JSON under its owner")
    func otherUsersEventNotEncoded() throws {
        let state = try Sample.state(after: Sample.everyKind())
        let ada = UserID(uuid: Sample.uuid(1, 1))
        var events = try #require(state.activity[ada]).events.map { $0 }
        events[0].userID = .random()
        let record = UserActivityRecord(userID: ada, droppedThrough: nil, events: events)
        #expect(throws: EncodingError.self) { _ = try JSONEncoder().encode(record) }
    }
}
