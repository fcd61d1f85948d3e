/// What the state keeps of one user besides the user record: the ids of their active keys, oldest first,
/// and their recent activity. One map entry per user, one pointer wide, so a user with a key or a history
/// costs one slot of one map and one block, and the usual small cases (one key, one event) sit inline in
/// that block with no buffer of their own.
///
/// A value: the block is copied before a change when another copy of the state shares it.
struct UserEntry: Equatable, Sendable {
    /// Shared between copies of the state until one of them changes it (copy on write).
    private final class Box: @unchecked Sendable {
        var keys: ActiveKeyIDs
        var activity: CompactActivity

        init(keys: ActiveKeyIDs, activity: CompactActivity) {
            self.keys = keys
            self.activity = activity
        }
    }

    private var box: Box

    /// An entry with no key and no history.
    init() {
        box = Box(keys: .empty, activity: .absent)
    }

    /// The active keys, oldest first.
    var keys: ActiveKeyIDs { box.keys }

    /// The recent activity.
    var activity: CompactActivity { box.activity }

    /// Whether the entry holds nothing (it is then dropped, so a state rebuilt from records equals the live one).
    var isEmpty: Bool {
        if case .empty = box.keys, case .absent = box.activity { return true }
        return false
    }

    /// Changes the keys in place (copying the block first if it is shared).
    mutating func modifyKeys<Result>(_ body: (inout ActiveKeyIDs) -> Result) -> Result {
        body(&uniqueBox().keys)
    }

    /// Changes the activity in place (copying the block first if it is shared).
    mutating func modifyActivity<Result>(_ body: (inout CompactActivity) -> Result) -> Result {
        body(&uniqueBox().activity)
    }

    private mutating func uniqueBox() -> Box {
        if !isKnownUniquelyReferenced(&box) { box = Box(keys: box.keys, activity: box.activity) }
        return box
    }

    static func == (lhs: UserEntry, rhs: UserEntry) -> Bool {
        lhs.box === rhs.box || (lhs.box.keys == rhs.box.keys && lhs.box.activity == rhs.box.activity)
    }
}

/// The ids of one user's active keys, oldest first: none and one inline, two or more in an array. Always in
/// the smallest form that holds them (an array emptied to one id goes back inline), so equal lists are equal
/// values.
enum ActiveKeyIDs: Equatable, Sendable {
    /// No active key.
    case empty
    /// A single active key, inline.
    case one(APIKeyID)
    /// Two or more, oldest first.
    case many([APIKeyID])

    /// The number of ids.
    var count: Int {
        switch self {
        case .empty: 0
        case .one: 1
        case .many(let ids): ids.count
        }
    }

    /// The ids, oldest first.
    var ids: [APIKeyID] {
        switch self {
        case .empty: []
        case .one(let id): [id]
        case .many(let ids): ids
        }
    }

    /// Calls `body` with each id, oldest first, without building an array.
    func forEachID(_ body: (APIKeyID) -> Void) {
        switch self {
        case .empty: return
        case .one(let id): body(id)
        case .many(let ids): for id in ids { body(id) }
        }
    }

    /// Adds `id` as the newest.
    mutating func append(_ id: APIKeyID) {
        switch self {
        case .empty: self = .one(id)
        case .one(let first): self = .many([first, id])
        case .many(var ids):
            // Released from `self` first, so the array is uniquely held and grows in place.
            self = .empty
            ids.append(id)
            self = .many(ids)
        }
    }

    /// Removes the ids `shouldRemove` picks, keeping the order of the others.
    mutating func removeAll(where shouldRemove: (APIKeyID) -> Bool) {
        switch self {
        case .empty: return
        case .one(let id): if shouldRemove(id) { self = .empty }
        case .many(var ids):
            self = .empty
            ids.removeAll(where: shouldRemove)
            switch ids.count {
            case 0: self = .empty
            case 1: self = .one(ids[0])
            default: self = .many(ids)
            }
        }
    }
}

/// The resource a stored event is about: like ``ActivitySubject``, except that a key event keeps only the
/// key's id when the key's record (kept for ever, with the summary's fields never changing) shows the same
/// summary, so that such an event needs no block of its own.
///
/// Outside a state (a snapshot's records), a key event always carries its summary: ``apiKey(_:)`` only
/// means something next to the state's key table.
package enum StoredActivitySubject: Hashable, Sendable {
    /// A task event's task (one pointer, shared with the task as stored).
    case task(MissionTask)
    /// A desktop event's desktop.
    indirect case desktop(Desktop)
    /// A key event whose summary is that of the key's record.
    case apiKey(APIKeyID)
    /// A key event whose summary differs from the key's record (only from inconsistent files), or any key
    /// event outside a state.
    indirect case apiKeySummary(APIKeySummary)
}

/// An activity event as a user's history stores it: without the user (the history's owner), and with a key
/// event's subject by id (``StoredActivitySubject``). 48 bytes, against 56 and a 72-byte block for a key
/// event's ``ActivityEvent``.
///
/// A snapshot's records hold events in this form too (their key events with their summaries), so that a
/// restore hands the decoded buffer to the state as it is, instead of converting every event.
package struct StoredActivityEvent: Hashable, Sendable {
    package var sequence: UInt64
    package var at: Timestamp
    package var subject: StoredActivitySubject
    package var index: UInt32
    package var kind: ActivityKind

    /// An event given field by field.
    package init(id: ActivityEventID, kind: ActivityKind, at: Timestamp, subject: StoredActivitySubject) {
        sequence = id.sequence
        index = id.index
        self.at = at
        self.kind = kind
        self.subject = subject
    }

    /// The event's id.
    package var id: ActivityEventID { ActivityEventID(sequence: sequence, index: index) }

    /// `event` as stored, its key summary by id when `keys` holds the same (kept as it is without `keys`).
    package init(_ event: ActivityEvent, keys: APIKeyTable?) {
        sequence = event.id.sequence
        index = event.id.index
        at = event.at
        kind = event.kind
        switch event.subject {
        case .task(let task): subject = .task(task)
        case .desktop(let desktop): subject = .desktop(desktop)
        case .apiKey(let summary):
            if let record = keys?[summary.id], APIKeySummary(record) == summary {
                subject = .apiKey(summary.id)
            } else {
                subject = .apiKeySummary(summary)
            }
        }
    }

    /// The event of `userID` this stands for, a key summary read from `keys` (which must hold the key of an
    /// event stored by id: always so for a state's events, never needed for a snapshot's records).
    package func event(of userID: UserID, keys: APIKeyTable?) -> ActivityEvent {
        let full: ActivitySubject
        switch subject {
        case .task(let task): full = .task(task)
        case .desktop(let desktop): full = .desktop(desktop)
        case .apiKeySummary(let summary): full = .apiKey(summary)
        case .apiKey(let id):
            // Stored by id only while the table held the key, and keys are never removed.
            guard let record = keys?[id] else { preconditionFailure("activity refers to key \(id), which the state does not hold") }
            full = .apiKey(APIKeySummary(record))
        }
        return ActivityEvent(id: id, kind: kind, at: at, userID: userID, subject: full)
    }

    /// The same event with its key summary written out, read from `keys` (which must hold the key of an
    /// event stored by id).
    package func withSummary(keys: APIKeyTable?) -> StoredActivityEvent {
        guard case .apiKey(let id) = subject else { return self }
        guard let record = keys?[id] else { preconditionFailure("activity refers to key \(id), which the state does not hold") }
        var event = self
        event.subject = .apiKeySummary(APIKeySummary(record))
        return event
    }
}

/// One user's recent activity as stored: at most the capacity's newest events, oldest first, and the newest
/// id dropped to make room. A single event with nothing dropped sits inline; more go to a ring buffer.
enum CompactActivity: Equatable, Sendable {
    /// No history (the user never had an event).
    case absent
    /// Exactly one kept event and none dropped.
    case one(StoredActivityEvent)
    /// Any other history (possibly empty, with events dropped).
    case ring(ActivityRing)

    /// The kept events, oldest first.
    var events: StoredActivityEvents {
        switch self {
        case .absent: StoredActivityEvents(single: nil, slice: [])
        case .one(let event): StoredActivityEvents(single: event, slice: [])
        case .ring(let ring): StoredActivityEvents(single: nil, slice: ring.events)
        }
    }

    /// The newest event that was dropped to make room, if any.
    var droppedThrough: ActivityEventID? {
        if case .ring(let ring) = self { return ring.droppedThrough }
        return nil
    }

    /// Events held in memory: the kept ones and any dropped ones not yet released.
    var heldCount: Int {
        switch self {
        case .absent: 0
        case .one: 1
        case .ring(let ring): ring.storage.count
        }
    }

    /// Events the backing buffer has room for (1 inline).
    var heldCapacity: Int {
        switch self {
        case .absent: 0
        case .one: 1
        case .ring(let ring): ring.storage.capacity
        }
    }

    /// Whether ``trim(to:)`` would drop or release anything: more events held than `capacity`, or dropped
    /// ones not yet released.
    func holdsMore(than capacity: Int) -> Bool {
        switch self {
        case .absent: false
        case .one: capacity <= 0
        case .ring(let ring): ring.storage.count > capacity || ring.start > 0
        }
    }

    /// A history restored with `events` (oldest first) and the newest dropped id, trimmed to `capacity`.
    init(events: [StoredActivityEvent], droppedThrough: ActivityEventID?, capacity: Int) {
        var ring = ActivityRing(storage: events, droppedThrough: droppedThrough)
        ring.trim(to: capacity)
        ring.releaseDropped()
        self = Self.smallest(ring)
    }

    /// Appends `event`, dropping the oldest events beyond `capacity`.
    mutating func append(_ event: StoredActivityEvent, capacity: Int) {
        var ring: ActivityRing
        switch self {
        case .absent: ring = ActivityRing()
        case .one(let first): ring = ActivityRing(storage: [first])
        case .ring(let current):
            ring = current
            // Released from `self` first, so the buffer is uniquely held and grows in place.
            self = .absent
        }
        ring.storage.append(event)
        ring.trim(to: capacity)
        self = Self.smallest(ring)
    }

    /// Drops the oldest events beyond `capacity` and releases them at once (lowering the capacity does it).
    mutating func trim(to capacity: Int) {
        guard case .ring(var ring) = self else {
            if capacity <= 0, case .one(let event) = self { self = .ring(ActivityRing(storage: [], droppedThrough: event.id)) }
            return
        }
        self = .absent
        ring.trim(to: capacity)
        ring.releaseDropped()
        self = Self.smallest(ring)
    }

    /// `ring`, or its one event inline when it holds just that.
    private static func smallest(_ ring: ActivityRing) -> CompactActivity {
        if ring.droppedThrough == nil, ring.storage.count - ring.start == 1 { return .one(ring.storage[ring.start]) }
        return .ring(ring)
    }

    /// The same kept events and the same dropped id, however stored.
    static func == (lhs: CompactActivity, rhs: CompactActivity) -> Bool {
        switch (lhs, rhs) {
        case (.absent, .absent): true
        case (.absent, _), (_, .absent): false
        default: lhs.droppedThrough == rhs.droppedThrough && lhs.events.elementsEqual(rhs.events)
        }
    }
}

/// The ring buffer of a ``CompactActivity`` with more than one event (or with events dropped): the live
/// events are `storage[start...]`.
struct ActivityRing: Sendable {
    var storage: [StoredActivityEvent] = []
    var start = 0
    /// The newest event that was dropped to make room, if any.
    var droppedThrough: ActivityEventID?

    /// The kept events, oldest first.
    var events: ArraySlice<StoredActivityEvent> { storage[start...] }

    /// Drops the oldest events beyond `capacity`.
    mutating func trim(to capacity: Int) {
        let excess = storage.count - start - max(capacity, 0)
        if excess > 0 {
            droppedThrough = storage[start + excess - 1].id
            start += excess
        }
        // Compact once the dead prefix is as large as the live part (amortised O(1) per event, memory at
        // most twice the capacity), or at once when nothing is kept. The live events move to a buffer of
        // their own size: removing the prefix in place would keep the old buffer's whole capacity, so a
        // history trimmed at start-up (a smaller `stream.replay_events`) would free nothing.
        let live = storage.count - start
        guard start > 0, start >= max(live, 32) || live == 0 else { return }
        storage = live == 0 ? [] : Array(storage[start...])
        start = 0
    }

    /// Moves the kept events to a buffer of their own size, releasing the dropped ones at once.
    mutating func releaseDropped() {
        guard start > 0 else { return }
        storage = Array(storage[start...])
        start = 0
    }
}

/// The kept events of a ``CompactActivity``, oldest first, read in place.
struct StoredActivityEvents: RandomAccessCollection {
    /// The inline event, when there is one.
    let single: StoredActivityEvent?
    /// The ring's events, otherwise.
    let slice: ArraySlice<StoredActivityEvent>

    var startIndex: Int { 0 }
    var endIndex: Int { single == nil ? slice.count : 1 }
    subscript(position: Int) -> StoredActivityEvent { single ?? slice[slice.startIndex + position] }
}
