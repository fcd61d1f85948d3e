/// The most recent events of one user, oldest first, and the newest id dropped to make room, so a resume
/// from before that point can be told that events are missing.
///
/// What the state hands out and restores: the state itself stores a history in a compact form
/// (``CompactActivity``, inside the user's ``UserEntry``) and builds this value when asked.
public struct UserActivity: Sendable {
    private var storage: [ActivityEvent]
    /// The newest event that was dropped to make room, if any.
    public private(set) var droppedThrough: ActivityEventID?
    /// Events held in memory by the stored form: the kept ones and any dropped ones not yet released.
    private(set) var heldCount: Int
    /// Events the stored form's buffer has room for (1 for a single event held inline).
    private(set) var heldCapacity: Int

    /// An empty history, or one restored with `events` (oldest first) and the newest dropped id.
    public init(events: [ActivityEvent] = [], droppedThrough: ActivityEventID? = nil) {
        self.storage = events
        self.droppedThrough = droppedThrough
        heldCount = events.count
        heldCapacity = events.capacity
    }

    /// The history `stored` holds for `userID`, key summaries read from `keys`.
    init(_ stored: CompactActivity, of userID: UserID, keys: APIKeyTable) {
        storage = stored.events.map { $0.event(of: userID, keys: keys) }
        droppedThrough = stored.droppedThrough
        heldCount = stored.heldCount
        heldCapacity = stored.heldCapacity
    }

    /// The kept events, oldest first.
    public var events: ArraySlice<ActivityEvent> { storage[...] }

    /// The newest id this user has had, kept or dropped.
    public var newestID: ActivityEventID? { storage.last?.id ?? droppedThrough }
}

extension UserActivity: Equatable {
    public static func == (lhs: UserActivity, rhs: UserActivity) -> Bool {
        lhs.droppedThrough == rhs.droppedThrough && lhs.events.elementsEqual(rhs.events)
    }
}

/// Every user's recent activity, read from a state: a view that builds a ``UserActivity`` when asked for one.
/// A sequence of `(key: userID, value: history)` pairs, like the map it replaced.
public struct UserActivities: Sendable, Sequence, Equatable {
    let entries: [UserID: UserEntry]
    let keys: APIKeyTable

    /// The recent activity of `userID`, or `nil` when they never had an event.
    public subscript(userID: UserID) -> UserActivity? {
        guard let entry = entries[userID], entry.activity != .absent else { return nil }
        return UserActivity(entry.activity, of: userID, keys: keys)
    }

    /// Each user's history, in no particular order.
    public func makeIterator() -> some IteratorProtocol<(key: UserID, value: UserActivity)> {
        var entries = entries.makeIterator()
        let keys = keys
        return AnyIterator<(key: UserID, value: UserActivity)> {
            while let (userID, entry) = entries.next() {
                if entry.activity != .absent { return (key: userID, value: UserActivity(entry.activity, of: userID, keys: keys)) }
            }
            return nil
        }
    }

    /// Each user's history, in no particular order.
    public var values: [UserActivity] { map(\.value) }

    /// The same users with the same histories.
    public static func == (lhs: UserActivities, rhs: UserActivities) -> Bool {
        let users = lhs.userIDs
        return users.count == rhs.userIDs.count && users.allSatisfy { lhs[$0] == rhs[$0] }
    }

    /// The users that have a history, in no particular order.
    public var userIDs: [UserID] {
        entries.compactMap { $0.value.activity == .absent ? nil : $0.key }
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
