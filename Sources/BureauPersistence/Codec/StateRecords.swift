import BureauStore
import Foundation

/// How many records of each kind a state holds (a snapshot header carries them; `inspect` prints them).
public struct RecordCounts: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Users.
    public var users: UInt64
    /// API key records, revoked ones included.
    public var apiKeys: UInt64
    /// Desktops.
    public var desktops: UInt64
    /// Tasks.
    public var tasks: UInt64
    /// Remembered `Idempotency-Key`s.
    public var idempotencyRecords: UInt64
    /// Live browser sessions (0 in files written before sessions existed).
    public var sessions: UInt64

    /// Counts given one by one.
    public init(
        users: UInt64 = 0,
        apiKeys: UInt64 = 0,
        desktops: UInt64 = 0,
        tasks: UInt64 = 0,
        idempotencyRecords: UInt64 = 0,
        sessions: UInt64 = 0
    ) {
        self.users = users
        self.apiKeys = apiKeys
        self.desktops = desktops
        self.tasks = tasks
        self.idempotencyRecords = idempotencyRecords
        self.sessions = sessions
    }

    private enum CodingKeys: String, CodingKey {
        case users, apiKeys, desktops, tasks, idempotencyRecords, sessions
    }

    /// Decodes counts; `sessions` may be absent (exports written before sessions existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        users = try container.decode(UInt64.self, forKey: .users)
        apiKeys = try container.decode(UInt64.self, forKey: .apiKeys)
        desktops = try container.decode(UInt64.self, forKey: .desktops)
        tasks = try container.decode(UInt64.self, forKey: .tasks)
        idempotencyRecords = try container.decode(UInt64.self, forKey: .idempotencyRecords)
        sessions = try container.decodeIfPresent(UInt64.self, forKey: .sessions) ?? 0
    }

    /// The counts of `state`.
    public init(of state: StoreState) {
        self.init(
            users: UInt64(state.users.count),
            apiKeys: UInt64(state.apiKeys.count),
            desktops: UInt64(state.desktops.count),
            tasks: UInt64(state.tasks.count),
            idempotencyRecords: UInt64(state.idempotency.count),
            sessions: UInt64(state.sessions.count)
        )
    }

    public var description: String {
        "users \(users), api_keys \(apiKeys), desktops \(desktops), tasks \(tasks), idempotency \(idempotencyRecords), sessions \(sessions)"
    }
}

/// A state as flat lists of records, in the canonical order: rebuilding a ``StoreState`` from them
/// gives back the same indexes, and encoding them gives the same bytes whatever the maps' order.
public struct StateRecords: Sendable, Equatable {
    /// The sequence of the last mutation the records include.
    public var sequence: UInt64
    /// Users by id.
    public var users: [User]
    /// Each user's active keys oldest first (users by id), then revoked keys by id.
    public var apiKeys: [APIKeyRecord]
    /// Each owner's desktops in creation order (owners by id).
    public var desktops: [Desktop]
    /// Each owner's tasks in creation order (owners by id).
    public var tasks: [MissionTask]
    /// By user id, then key.
    public var idempotency: [IdempotencyRecord]
    /// Each user's recent activity (users by id), events oldest first.
    public var activity: [UserActivityRecord]
    /// Live browser sessions by id (digests only: no session secret exists to be stored).
    public var sessions: [SessionRecord]
    /// The usage of each key that was used, by key id.
    public var keyUsage: [KeyUsageRecord]

    /// The records of `state` in canonical order.
    public init(_ state: StoreState) {
        sequence = state.sequence
        let userIDs = state.users.keys.sorted { UUIDOrder.less($0.uuid, $1.uuid) }
        users = userIDs.compactMap { state.users[$0] }

        var keys: [APIKeyRecord] = []
        keys.reserveCapacity(state.apiKeys.count)
        for userID in userIDs {
            keys += state.activeKeys(of: userID)
        }
        keys += state.apiKeys.values.filter { !$0.isActive }.sorted { UUIDOrder.less($0.id.uuid, $1.id.uuid) }
        apiKeys =
            keys.count == state.apiKeys.count
            ? keys
            : Self.completed(keys, from: Dictionary(state.apiKeys.values.map { ($0.id, $0) }) { $1 }, id: \.id) {
                UUIDOrder.less($0.id.uuid, $1.id.uuid)
            }

        var desktops: [Desktop] = []
        desktops.reserveCapacity(state.desktops.count)
        for ownerID in state.desktopIDsByOwner.keys.sorted(by: { UUIDOrder.less($0.uuid, $1.uuid) }) {
            for id in state.desktopIDsByOwner[ownerID] ?? [] { if let desktop = state.desktops[id] { desktops.append(desktop) } }
        }
        self.desktops = Self.completed(desktops, from: state.desktops, id: \.id) { $0.ordinal < $1.ordinal }

        var tasks: [MissionTask] = []
        tasks.reserveCapacity(state.tasks.count)
        for ownerID in state.taskIDsByOwner.keys.sorted(by: { UUIDOrder.less($0.uuid, $1.uuid) }) {
            for id in state.taskIDsByOwner[ownerID] ?? [] { if let task = state.tasks[id] { tasks.append(task) } }
        }
        self.tasks = Self.completed(tasks, from: state.tasks, id: \.id) { $0.ordinal < $1.ordinal }

        idempotency = state.idempotency.values.sorted {
            $0.userID == $1.userID ? $0.key < $1.key : UUIDOrder.less($0.userID.uuid, $1.userID.uuid)
        }
        activity = state.activity.userIDs.sorted { UUIDOrder.less($0.uuid, $1.uuid) }.compactMap { userID in
            state.storedActivity(of: userID).map {
                UserActivityRecord(userID: userID, droppedThrough: $0.droppedThrough, storage: $0.storage, start: $0.start, keys: state.apiKeys)
            }
        }
        sessions = state.sessions.values.sorted { UUIDOrder.less($0.id.uuid, $1.id.uuid) }
        keyUsage = state.keyUsage.map { KeyUsageRecord(keyID: $0.key, history: $0.value) }
            .sorted { UUIDOrder.less($0.keyID.uuid, $1.keyID.uuid) }
    }

    /// Records given as lists (a decoded snapshot), in the order they are to be indexed.
    public init(
        sequence: UInt64,
        users: [User],
        apiKeys: [APIKeyRecord],
        desktops: [Desktop],
        tasks: [MissionTask],
        idempotency: [IdempotencyRecord],
        activity: [UserActivityRecord] = [],
        sessions: [SessionRecord] = [],
        keyUsage: [KeyUsageRecord] = []
    ) {
        self.keyUsage = keyUsage
        self.activity = activity
        self.sessions = sessions
        self.sequence = sequence
        self.users = users
        self.apiKeys = apiKeys
        self.desktops = desktops
        self.tasks = tasks
        self.idempotency = idempotency
    }

    /// The counts of each kind.
    public var counts: RecordCounts {
        RecordCounts(
            users: UInt64(users.count),
            apiKeys: UInt64(apiKeys.count),
            desktops: UInt64(desktops.count),
            tasks: UInt64(tasks.count),
            idempotencyRecords: UInt64(idempotency.count),
            sessions: UInt64(sessions.count)
        )
    }

    /// The state these records describe, with its indexes rebuilt, keeping `activityCapacity` events per
    /// user (by default every event the records hold; recovery then applies the configured capacity).
    ///
    /// The records are consumed: the tasks move into the state instead of being copied.
    public consuming func makeState(activityCapacity: Int = .max) throws(InconsistentState) -> StoreState {
        let tasks = self.tasks
        self.tasks = []
        var state = try StoreState(
            sequence: sequence,
            users: users,
            apiKeys: apiKeys,
            desktops: desktops,
            tasks: consume tasks,
            idempotency: idempotency
        )
        state.setActivityCapacity(activityCapacity)
        try Self.restoreRest(self, into: &state, restoring: true)
        return state
    }

    /// Restores the activity, sessions and key usage into `state` (which holds the other records), checking them.
    ///
    /// With `restoring` false the activity is only checked, not restored: the records' event buffers stay
    /// shared with the live state they were read from. Otherwise each buffer is taken out of the records
    /// (consumed) before it is handed to the state, so that a decoded buffer becomes the history's own.
    private static func restoreRest(
        _ records: consuming StateRecords,
        into state: inout StoreState,
        restoring: Bool
    ) throws(InconsistentState) {
        let sequence = records.sequence
        var activity = records.activity
        records.activity = []
        var seen: Set<UserID> = []
        for position in activity.indices {
            let (userID, droppedThrough) = (activity[position].userID, activity[position].droppedThrough)
            guard state.users[userID] != nil else { throw InconsistentState(reason: "activity of unknown user \(userID)") }
            guard seen.insert(userID).inserted else { throw InconsistentState(reason: "activity of user \(userID) appears twice") }
            guard !activity[position].holdsOtherUsersEvents, Self.ascending(activity[position].stored, through: sequence) else {
                throw InconsistentState(reason: "activity of user \(userID) is out of order or of another user")
            }
            guard restoring else { continue }
            state.restoreActivity(of: userID, stored: activity[position].takeEvents(), droppedThrough: droppedThrough)
        }
        try state.restoreSessions(records.sessions)
        try state.restoreKeyUsage(records.keyUsage)
    }

    /// Whether `events` have ascending ids, none past `sequence`.
    private static func ascending(_ events: ArraySlice<StoredActivityEvent>, through sequence: UInt64) -> Bool {
        events.allSatisfy { $0.sequence <= sequence } && zip(events, events.dropFirst()).allSatisfy { $0.id < $1.id }
    }

    /// Checks the records as ``makeState(activityCapacity:)`` does, without building the state's tasks: what
    /// a snapshot writer runs on the records of a live state, where a second state would double the memory.
    ///
    /// Everything but the tasks and the activity is restored into a state of its own (as small as the users,
    /// keys, desktops, idempotency records, sessions and usage it holds); the activity is checked in place; the
    /// tasks are checked in one pass as ``StoreState``'s restore checks them (known owner, a desktop of the
    /// same owner, ascending ordinals in each owner's and each desktop's list), with memory for one entry
    /// per owner and per desktop. A task listed twice is caught by its ordinal, not by a set of ids: this
    /// relies on records with the same id being the same record, which holds for the records of a state,
    /// whose tasks are one map's values.
    public func checkConsistency() throws(InconsistentState) {
        var state = try StoreState(
            sequence: sequence,
            users: users,
            apiKeys: apiKeys,
            desktops: desktops,
            tasks: [],
            idempotency: idempotency
        )
        var ownerNewest: [UserID: UInt64] = [:]
        var desktopNewest: [DesktopID: (ordinal: UInt64, ownerID: UserID)] = [:]
        for task in tasks {
            let (id, ownerID, desktopID, ordinal) = (task.id, task.ownerID, task.desktopID, task.ordinal)
            guard state.users[ownerID] != nil else { throw InconsistentState(reason: "task \(id) belongs to unknown user \(ownerID)") }
            // A deleted desktop leaves its tasks behind: they must still share one owner.
            let desktopOwner = state.desktops[desktopID]?.ownerID ?? desktopNewest[desktopID]?.ownerID ?? ownerID
            guard desktopOwner == ownerID else { throw InconsistentState(reason: "task \(id) is on a desktop of another user") }
            guard ownerNewest[ownerID].map({ $0 < ordinal }) ?? true, desktopNewest[desktopID].map({ $0.ordinal < ordinal }) ?? true else {
                throw InconsistentState(reason: "task \(id) comes after a newer task of its owner or desktop")
            }
            ownerNewest[ownerID] = ordinal
            desktopNewest[desktopID] = (ordinal, ownerID)
        }
        try Self.restoreRest(copy self, into: &state, restoring: false)
    }

    /// `listed` plus any record of `all` that no index listed (a state whose indexes missed a record
    /// still has it written), those sorted by `order`.
    private static func completed<ID: Hashable, Record>(
        _ listed: [Record],
        from all: [ID: Record],
        id: (Record) -> ID,
        order: (Record, Record) -> Bool
    ) -> [Record] {
        guard listed.count != all.count else { return listed }
        let seen = Set(listed.map(id))
        return listed + all.filter { !seen.contains($0.key) }.map(\.value).sorted(by: order)
    }
}

/// A total order on UUIDs by their bytes (the order of their canonical strings).
enum UUIDOrder {
    static func less(_ lhs: UUID, _ rhs: UUID) -> Bool {
        let a = key(lhs)
        let b = key(rhs)
        return a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
    }

    private static func key(_ value: UUID) -> (UInt64, UInt64) {
        withUnsafeBytes(of: value.uuid) { raw in
            var high: UInt64 = 0
            var low: UInt64 = 0
            for index in 0..<8 { high = high << 8 | UInt64(raw[index]) }
            for index in 8..<16 { low = low << 8 | UInt64(raw[index]) }
            return (high, low)
        }
    }
}

/// One user's recent activity as a snapshot stores it.
///
/// The events are held in the form a state stores them in (without the user), so that restoring a snapshot
/// hands each decoded buffer to the state as it is, and the records of a live state share its buffers
/// instead of copying every history for a snapshot; ``events`` shows them as ``ActivityEvent``s.
public struct UserActivityRecord: Sendable, Hashable, Codable {
    /// The user the events belong to (fixed: the stored form has no user of its own, so a new one would
    /// silently take every event with it).
    public private(set) var userID: UserID
    /// The newest event already dropped from the ring, if any (a resume from before it gets a reset).
    public var droppedThrough: ActivityEventID?
    /// The buffer the kept events are in: `storage[start...]`, oldest first, in the stored form (key events
    /// with their summaries, or by id when ``keys`` is given). A live state's history may hold dropped
    /// events before `start`; a decoded or given record starts at 0.
    package private(set) var storage: [StoredActivityEvent]
    package private(set) var start: Int
    /// The key table that events stored by key id refer to (those of a live state's records); `nil` when
    /// every key event carries its summary (decoded or given records).
    package private(set) var keys: APIKeyTable?
    /// Whether some event given to the record belonged to another user (the stored form has no user, so a
    /// restore refuses the record by this mark).
    package private(set) var holdsOtherUsersEvents = false

    /// A record given field by field.
    public init(userID: UserID, droppedThrough: ActivityEventID?, events: [ActivityEvent]) {
        self.userID = userID
        self.droppedThrough = droppedThrough
        (storage, start) = ([], 0)
        self.events = events
    }

    /// A record of the events `storage[start...]` in the stored form (by key id only with `keys`).
    package init(
        userID: UserID,
        droppedThrough: ActivityEventID?,
        storage: [StoredActivityEvent],
        start: Int = 0,
        keys: APIKeyTable? = nil,
        holdsOtherUsersEvents: Bool = false
    ) {
        self.userID = userID
        self.droppedThrough = droppedThrough
        self.storage = storage
        self.start = start
        self.keys = keys
        self.holdsOtherUsersEvents = holdsOtherUsersEvents
    }

    /// The kept events in the stored form, oldest first.
    package var stored: ArraySlice<StoredActivityEvent> { storage[start...] }

    /// The kept events in the stored form, each key event with its summary, in a buffer of their own: the
    /// record's buffer itself when it holds just those (a decoded record), which the record then gives up.
    package mutating func takeEvents() -> [StoredActivityEvent] {
        var events: [StoredActivityEvent] = []
        swap(&events, &storage)
        let (start, keys) = (self.start, self.keys)
        (self.start, self.keys) = (0, nil)
        if let keys { return events[start...].map { $0.withSummary(keys: keys) } }
        return start == 0 ? events : Array(events[start...])
    }

    /// The kept events, oldest first.
    public var events: [ActivityEvent] {
        get { stored.map { $0.event(of: userID, keys: keys) } }
        set {
            (storage, start) = (newValue.map { StoredActivityEvent($0, keys: nil) }, 0)
            keys = nil
            holdsOtherUsersEvents = newValue.contains { $0.userID != userID }
        }
    }

    /// The same user, dropped id and events, whichever form the key events are held in.
    public static func == (lhs: UserActivityRecord, rhs: UserActivityRecord) -> Bool {
        guard lhs.userID == rhs.userID, lhs.droppedThrough == rhs.droppedThrough,
            lhs.holdsOtherUsersEvents == rhs.holdsOtherUsersEvents, lhs.stored.count == rhs.stored.count
        else { return false }
        if lhs.keys == nil, rhs.keys == nil { return lhs.stored == rhs.stored }
        // A key event by id is compared by the summary its record's table gives it: the same id may stand
        // for different summaries in two tables.
        return zip(lhs.stored, rhs.stored).allSatisfy { left, right in
            switch (left.subject, right.subject) {
            case (.apiKey, _), (_, .apiKey): left.withSummary(keys: lhs.keys) == right.withSummary(keys: rhs.keys)
            default: left == right
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(userID)
        hasher.combine(droppedThrough)
        hasher.combine(stored.count)
        hasher.combine(stored.last?.id)
    }

    private enum CodingKeys: String, CodingKey {
        case userID, droppedThrough, events
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            userID: try container.decode(UserID.self, forKey: .userID),
            droppedThrough: try container.decodeIfPresent(ActivityEventID.self, forKey: .droppedThrough),
            events: try container.decode([ActivityEvent].self, forKey: .events)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        guard !holdsOtherUsersEvents else {
            throw EncodingError.invalidValue(
                self,
                EncodingError.Context(codingPath: encoder.codingPath, debugDescription: "the history of \(userID) holds another user's events")
            )
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(userID, forKey: .userID)
        try container.encodeIfPresent(droppedThrough, forKey: .droppedThrough)
        try container.encode(events, forKey: .events)
    }
}
