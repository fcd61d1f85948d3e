/// The most recent events of one user, oldest first, at most `capacity` of them: a ring that drops its
/// oldest event when full and remembers the newest id it dropped, so a resume from before that point
/// can be told that events are missing.
public struct UserActivity: Sendable {
    /// Backing store; the live events are `storage[start...]`.
    private var storage: [ActivityEvent] = []
    private var start = 0
    /// The newest event that was dropped to make room, if any.
    public private(set) var droppedThrough: ActivityEventID?

    /// An empty ring, or one restored with `events` (oldest first) and the newest dropped id.
    public init(events: [ActivityEvent] = [], droppedThrough: ActivityEventID? = nil) {
        self.storage = events
        self.droppedThrough = droppedThrough
    }

    /// The kept events, oldest first.
    public var events: ArraySlice<ActivityEvent> { storage[start...] }

    /// The newest id this user has had, kept or dropped.
    public var newestID: ActivityEventID? { storage.last?.id ?? droppedThrough }

    /// Appends `event`, dropping the oldest events beyond `capacity`.
    mutating func append(_ event: ActivityEvent, capacity: Int) {
        storage.append(event)
        trim(to: capacity)
    }

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

    /// Moves the kept events to a buffer of their own size, releasing the dropped ones at once (restoring
    /// and lowering the capacity do it: they may drop many events in one go).
    mutating func releaseDropped() {
        guard start > 0 else { return }
        storage = Array(storage[start...])
        start = 0
    }

    /// Events held in memory: the kept ones and any dropped ones not yet released.
    var heldCount: Int { storage.count }

    /// Events the backing buffer has room for.
    var heldCapacity: Int { storage.capacity }
}

extension UserActivity: Equatable {
    public static func == (lhs: UserActivity, rhs: UserActivity) -> Bool {
        lhs.droppedThrough == rhs.droppedThrough && lhs.events.elementsEqual(rhs.events)
    }
}

/// What a resume from a given id gets: the missed events, or a reset when some of them are gone.
public enum ActivityReplay: Equatable, Sendable {
    /// Every event after the id, oldest first (possibly none).
    case events([ActivityEvent])
    /// Some events after the id are no longer kept (or the id is not from this history): the client must
    /// refetch; `through` is the newest id the refetch covers.
    case reset(through: ActivityEventID?)
}
