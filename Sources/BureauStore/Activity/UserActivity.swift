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
        guard excess > 0 else { return }
        droppedThrough = storage[start + excess - 1].id
        start += excess
        // Compact once the dead prefix is as large as the live part: amortised O(1) per event, memory at
        // most twice the capacity.
        if start >= max(storage.count - start, 32) {
            storage.removeFirst(start)
            start = 0
        }
    }
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
