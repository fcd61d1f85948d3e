import Foundation
import Testing

@testable import BureauStore

/// The packed per-user entries (active keys and recent activity in one block, small cases inline) and the
/// packed key table: they must behave exactly like the maps and arrays they replaced.
@Suite("Packed user entries and key table")
struct UserEntryTests {
    static func event(_ sequence: UInt64, user: UserID, keys: APIKeyTable = APIKeyTable()) -> StoredActivityEvent {
        // The same desktop for the same sequence, so that events built twice are equal.
        let id = DesktopID(String(format: "00000000-0000-0000-0000-%012llu", sequence))!
        let desktop = Desktop(
            id: id,
            ownerID: user,
            name: "Desk",
            status: .running,
            createdAt: StoreFixtures.t0,
            updatedAt: StoreFixtures.t0,
            ordinal: sequence
        )
        let event = ActivityEvent(
            id: ActivityEventID(sequence: sequence),
            kind: .desktopCreated,
            at: StoreFixtures.t0.adding(milliseconds: Int64(sequence)),
            userID: user,
            subject: .desktop(desktop)
        )
        return StoredActivityEvent(event, keys: keys)
    }

    @Test("active key ids grow from inline to an array and shrink back, oldest first throughout")
    func keyListGrowsAndShrinks() {
        let ids = (0..<5).map { _ in APIKeyID.random() }
        var list = ActiveKeyIDs.empty
        list.append(ids[0])
        #expect(list == .one(ids[0]))
        list.append(ids[1])
        #expect(list == .many([ids[0], ids[1]]))
        for id in ids[2...] { list.append(id) }
        #expect(list.ids == ids)
        #expect(list.count == 5)
        list.removeAll { $0 == ids[1] || $0 == ids[3] }
        #expect(list == .many([ids[0], ids[2], ids[4]]))
        list.removeAll { $0 == ids[0] || $0 == ids[4] }
        #expect(list == .one(ids[2]), "two or more removed down to one goes back inline")
        list.removeAll { $0 == ids[0] }
        #expect(list == .one(ids[2]), "removing an id it does not hold changes nothing")
        list.removeAll { _ in true }
        #expect(list == .empty)
        #expect(list.count == 0 && list.ids.isEmpty)
    }

    @Test("one event sits inline; a second moves both to a ring; the capacity drops the oldest and remembers it")
    func activityGrowsAndEvicts() {
        let user = UserID.random()
        var activity = CompactActivity.absent
        activity.append(Self.event(1, user: user), capacity: 3)
        #expect(activity == .one(Self.event(1, user: user)))
        #expect(activity.heldCount == 1 && activity.heldCapacity == 1)
        activity.append(Self.event(2, user: user), capacity: 3)
        guard case .ring = activity else {
            Issue.record("two events need a ring")
            return
        }
        for sequence in UInt64(3)...6 { activity.append(Self.event(sequence, user: user), capacity: 3) }
        #expect(activity.events.map(\.sequence) == [4, 5, 6])
        #expect(activity.droppedThrough == ActivityEventID(sequence: 3))
        activity.trim(to: 1)
        #expect(activity.events.map(\.sequence) == [6])
        #expect(activity.droppedThrough == ActivityEventID(sequence: 5))
        #expect(activity.heldCount == 1, "lowering the capacity releases the dropped events at once")
        activity.trim(to: 0)
        #expect(activity.events.isEmpty && activity.heldCount == 0)
        #expect(activity.droppedThrough == ActivityEventID(sequence: 6))
        #expect(activity != .absent, "an emptied history is still a history: it tells a resume what was dropped")
    }

    @Test("capacity 0 keeps nothing from the first event on; a restored single event with nothing dropped goes inline")
    func activityEdgeCases() {
        let user = UserID.random()
        var none = CompactActivity.absent
        none.append(Self.event(1, user: user), capacity: 0)
        #expect(none.events.isEmpty && none.droppedThrough == ActivityEventID(sequence: 1))
        let restored = CompactActivity(events: [Self.event(7, user: user)], droppedThrough: nil, capacity: 5)
        #expect(restored == .one(Self.event(7, user: user)))
        let trimmed = CompactActivity(events: (1...4).map { Self.event($0, user: user) }, droppedThrough: nil, capacity: 1)
        #expect(trimmed.events.map(\.sequence) == [4])
        #expect(trimmed.droppedThrough == ActivityEventID(sequence: 3))
        var ring = ActivityRing(storage: [Self.event(9, user: user)])
        ring.trim(to: 5)
        #expect(CompactActivity.ring(ring) == .one(Self.event(9, user: user)), "equal however stored")
        #expect(CompactActivity.ring(ActivityRing()) != .absent, "an empty history is not the absence of one")
    }

    @Test("a copy of an entry keeps its values when the original changes (the block is copied, not shared)")
    func entryCopyOnWrite() {
        let user = UserID.random()
        let (first, second) = (APIKeyID.random(), APIKeyID.random())
        var entry = UserEntry()
        #expect(entry.isEmpty)
        entry.modifyKeys { $0.append(first) }
        entry.modifyActivity { $0.append(Self.event(1, user: user), capacity: 10) }
        let copy = entry
        entry.modifyKeys { $0.append(second) }
        entry.modifyActivity { $0.append(Self.event(2, user: user), capacity: 10) }
        #expect(copy.keys == .one(first))
        #expect(copy.activity.events.map(\.sequence) == [1])
        #expect(entry.keys.ids == [first, second])
        #expect(entry.activity.events.map(\.sequence) == [1, 2])
        #expect(copy != entry)
        entry.modifyKeys { $0.removeAll { $0 == second } }
        entry.modifyActivity { $0 = copy.activity }
        #expect(copy == entry)
    }

    @Test("a key event stores the key by id when the table holds the same summary, the summary itself otherwise")
    func keyEventSubjects() throws {
        let user = UserID.random()
        var table = APIKeyTable()
        let key = StoreFixtures.apiKey(of: user)
        table[key.id] = key
        let event = ActivityEvent(
            id: ActivityEventID(sequence: 4),
            kind: .apiKeyCreated,
            at: key.createdAt,
            userID: user,
            subject: .apiKey(APIKeySummary(key))
        )
        let stored = StoredActivityEvent(event, keys: table)
        #expect(stored.subject == .apiKey(key.id))
        #expect(stored.event(of: user, keys: table) == event)
        var renamed = event
        renamed.subject = .apiKey(APIKeySummary(id: key.id, name: "other", lastFour: key.lastFour, createdAt: key.createdAt))
        let kept = StoredActivityEvent(renamed, keys: table)
        #expect(kept.subject != .apiKey(key.id))
        #expect(kept.event(of: user, keys: table) == renamed)
    }

    @Test("the key table finds each of thousands of keys by id and lookup id across growth, and tells revoked ones")
    func keyTable() {
        let user = UserID.random()
        var table = APIKeyTable()
        var keys: [APIKeyRecord] = []
        for index in 0..<3000 {
            let key = StoreFixtures.apiKey(of: user, name: "k\(index)", lookupID: "lk\(index)")
            table[key.id] = key
            keys.append(key)
        }
        #expect(table.count == 3000)
        #expect(table.values == keys, "in the order added")
        for key in keys {
            #expect(table[key.id] == key)
            #expect(table.activeKey(lookupID: key.lookupID) == key)
            #expect(!table.hasRevokedKey(lookupID: key.lookupID))
        }
        #expect(table[.random()] == nil)
        #expect(table.activeKey(lookupID: "lk3000") == nil && !table.hasRevokedKey(lookupID: "lk3000"))
        var revoked = keys[17]
        revoked.revokedAt = StoreFixtures.t0
        table[revoked.id] = revoked
        #expect(table.activeKey(lookupID: "lk17") == nil && table.hasRevokedKey(lookupID: "lk17"))
        #expect(table[revoked.id] == revoked && table.count == 3000)
        // A new active key may take a revoked key's lookup id: each lookup tells them apart.
        let reused = StoreFixtures.apiKey(of: user, name: "again", lookupID: "lk17")
        table[reused.id] = reused
        #expect(table.activeKey(lookupID: "lk17") == reused && table.hasRevokedKey(lookupID: "lk17"))
        // Equality ignores the order records were added in.
        var reversed = APIKeyTable()
        for key in (keys.map { $0.id == revoked.id ? revoked : $0 } + [reused]).reversed() { reversed[key.id] = key }
        #expect(reversed == table)
        reversed[keys[0].id] = keys[1].with(id: keys[0].id)
        #expect(reversed != table)
    }

    /// Users with keys spread as in the memory benchmark's layouts, then revocations, rolls and a sweep of
    /// unused keys: the state rebuilt from its records (as a snapshot stores them) equals the live one.
    @Test("a state rebuilt from records equals the live one after creates, revokes, rolls and sweeps", arguments: [(1, 40), (12, 5), (30, 1)])
    func rebuiltEqualsLive(users userCount: Int, keysPerUser: Int) throws {
        var state = StoreState(activityCapacity: 8)
        var users: [User] = []
        var keysOf: [UserID: [APIKeyRecord]] = [:]
        var lookup = 0
        func newKey(of user: UserID) -> APIKeyRecord {
            lookup += 1
            return StoreFixtures.apiKey(of: user, name: "key \(lookup)", lookupID: "lookup\(lookup)")
        }
        for index in 0..<userCount {
            let user = StoreFixtures.user("u\(index)@example.com")
            users.append(user)
            try state.applyNext(.userCreated(user))
            for _ in 0..<keysPerUser {
                let key = newKey(of: user.id)
                try state.applyNext(.apiKeyCreated(key))
                keysOf[user.id, default: []].append(key)
            }
        }
        let at = StoreFixtures.t0.adding(milliseconds: 1000)
        var expectedActive: [UserID: [APIKeyID]] = keysOf.mapValues { $0.map(\.id) }
        for (position, user) in users.enumerated() {
            let keys = keysOf[user.id] ?? []
            if position % 3 == 0, let first = keys.first {
                try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: first.id, at: at)))
                expectedActive[user.id]?.removeAll { $0 == first.id }
            }
            if position % 3 == 1, let last = keys.last {
                let successor = newKey(of: user.id)
                try state.applyNext(.apiKeyRolled(APIKeyRoll(id: last.id, expiresAt: at.adding(milliseconds: 60_000), successor: successor, at: at)))
                expectedActive[user.id, default: []].append(successor.id)
            }
        }
        let swept = users.enumerated().filter { $0.offset % 3 == 2 }.compactMap { expectedActive[$0.element.id]?.first }
        if !swept.isEmpty {
            try state.applyNext(.apiKeysRevokedUnused(UnusedKeysRevocation(ids: swept, unusedDays: 30, at: at)))
            for user in users { expectedActive[user.id]?.removeAll { swept.contains($0) } }
        }
        for user in users {
            #expect(state.activeKeyIDs(of: user.id) == expectedActive[user.id] ?? [], "oldest first")
            #expect(state.activeKeyCount(of: user.id) == (expectedActive[user.id] ?? []).count)
        }

        var rebuilt = try StoreState(
            sequence: state.sequence,
            users: users,
            apiKeys: users.flatMap { state.activeKeys(of: $0.id) } + state.apiKeys.values.filter { !$0.isActive },
            desktops: [],
            tasks: [],
            idempotency: []
        )
        rebuilt.setActivityCapacity(8)
        for (userID, recent) in state.activity { rebuilt.restoreActivity(of: userID, recent) }
        #expect(rebuilt == state)
        for user in users {
            #expect(rebuilt.activity[user.id] == state.activity[user.id])
            #expect(rebuilt.activityPage(of: user.id, before: nil, limit: 100) == state.activityPage(of: user.id, before: nil, limit: 100))
            #expect(
                rebuilt.activityReplay(of: user.id, after: ActivityEventID(sequence: 1))
                    == state.activityReplay(of: user.id, after: ActivityEventID(sequence: 1))
            )
        }
        for key in state.apiKeys.values {
            #expect(rebuilt.activeKey(lookupID: key.lookupID) == state.activeKey(lookupID: key.lookupID))
            #expect(rebuilt.isRevokedKey(lookupID: key.lookupID) == !key.isActive)
        }
        // Each user with a key or a history has one entry, live or rebuilt.
        #expect(rebuilt.userEntries.count == state.userEntries.count)
    }
}

extension APIKeyRecord {
    /// This record under another id.
    fileprivate func with(id: APIKeyID) -> APIKeyRecord {
        var copy = self
        copy.id = id
        return copy
    }
}
