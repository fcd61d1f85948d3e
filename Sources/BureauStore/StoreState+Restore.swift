/// Why a set of records cannot form a state: a snapshot that does not describe a consistent store.
public struct InconsistentState: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, naming ids but never secrets.
    public var reason: String

    /// An inconsistency described by `reason`.
    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

extension StoreState {
    /// Rebuilds a state from its records, as a snapshot stores them, and recomputes every index.
    ///
    /// The order of each array is the order of the indexes built from it: active keys of a user are
    /// listed oldest first in the order of `apiKeys`, desktops of an owner in the order of `desktops`,
    /// tasks of an owner and of a desktop in the order of `tasks`. Records are checked against each
    /// other (unique ids, emails and active lookup ids; owners that exist), never against a clock.
    ///
    /// - Parameter sequence: the sequence of the last mutation the records include.
    public init(
        sequence: UInt64,
        users: [User],
        apiKeys: [APIKeyRecord],
        desktops: [Desktop],
        tasks: consuming [MissionTask],
        idempotency: [IdempotencyRecord]
    ) throws(InconsistentState) {
        self.init()
        self.sequence = sequence
        self.users.reserveCapacity(users.count)
        userIDsByEmail.reserveCapacity(users.count)
        for user in users {
            guard self.users.updateValue(user, forKey: user.id) == nil else { throw InconsistentState(reason: "user \(user.id) appears twice") }
            guard userIDsByEmail.updateValue(user.id, forKey: user.email) == nil else {
                throw InconsistentState(reason: "user \(user.id) has an email already in use")
            }
        }
        self.apiKeys.reserveCapacity(apiKeys.count)
        for key in apiKeys {
            guard self.users[key.userID] != nil else { throw InconsistentState(reason: "key \(key.id) belongs to unknown user \(key.userID)") }
            guard self.apiKeys[key.id] == nil else { throw InconsistentState(reason: "key \(key.id) appears twice") }
            if key.isActive {
                guard self.apiKeys.activeKey(lookupID: key.lookupID) == nil else {
                    throw InconsistentState(reason: "key \(key.id) has a lookup id already in use")
                }
                userEntries[key.userID, default: UserEntry()].modifyKeys { $0.append(key.id) }
            }
            self.apiKeys.updateValue(key, forKey: key.id)
        }
        self.desktops.reserveCapacity(desktops.count)
        desktopIDsByOwner.reserveCapacity(users.count)
        for desktop in desktops {
            guard self.users[desktop.ownerID] != nil else {
                throw InconsistentState(reason: "desktop \(desktop.id) belongs to unknown user \(desktop.ownerID)")
            }
            guard self.desktops.updateValue(desktop, forKey: desktop.id) == nil else {
                throw InconsistentState(reason: "desktop \(desktop.id) appears twice")
            }
            desktopIDsByOwner[desktop.ownerID, default: []].append(desktop.id)
        }
        try restoreTasks(tasks)
        self.idempotency.reserveCapacity(idempotency.count)
        for record in idempotency {
            guard self.users[record.userID] != nil else {
                throw InconsistentState(reason: "idempotency record of task \(record.taskID) belongs to unknown user \(record.userID)")
            }
            let scope = IdempotencyScope(userID: record.userID, key: record.key)
            guard self.idempotency.updateValue(record, forKey: scope) == nil else {
                throw InconsistentState(reason: "idempotency record of task \(record.taskID) appears twice")
            }
        }
    }

    /// Indexes `tasks` (checked against the users and desktops already restored), then moves them into
    /// the map of tasks.
    ///
    /// Tasks come grouped by owner, so the owner's check and each index's lookup happen once per run of
    /// tasks sharing an owner or a desktop, not once per task; the maps are sized up front; and the
    /// records are moved out of `tasks` rather than copied, so nothing is left to release afterwards.
    /// Each owner's and each desktop's tasks must come in ascending ordinal order (listings search by it),
    /// and the tasks of a desktop that no longer exists must still share one owner.
    private mutating func restoreTasks(_ tasks: consuming [MissionTask]) throws(InconsistentState) {
        self.tasks.reserveCapacity(tasks.count)
        taskIDsByOwner.reserveCapacity(users.count)
        taskIDsByDesktop.reserveCapacity(desktops.count)
        var checkedOwner: UserID?
        var ownerRun = TaskRun<UserID>()
        var desktopRun = TaskRun<DesktopID>()
        // The newest ordinal of each list and the owner of each desktop's tasks, for runs that continue a list.
        var ownerNewest: [UserID: UInt64] = [:]
        var desktopNewest: [DesktopID: (ordinal: UInt64?, ownerID: UserID)] = [:]
        var desktopOwner: UserID?
        for index in tasks.indices {
            let (id, ownerID, desktopID) = (tasks[index].id, tasks[index].ownerID, tasks[index].desktopID)
            let (ordinal, status) = (tasks[index].ordinal, tasks[index].status)
            if checkedOwner != ownerID {
                guard users[ownerID] != nil else { throw InconsistentState(reason: "task \(id) belongs to unknown user \(ownerID)") }
                checkedOwner = ownerID
            }
            if ownerRun.key != ownerID {
                if let key = ownerRun.key { ownerNewest[key] = ownerRun.newest }
                Self.flush(&ownerRun, into: &taskIDsByOwner, &taskStatusesByOwner)
                ownerRun = TaskRun(key: ownerID, after: ownerNewest[ownerID])
            }
            if desktopRun.key != desktopID {
                if let key = desktopRun.key, let desktopOwner { desktopNewest[key] = (desktopRun.newest, desktopOwner) }
                Self.flush(&desktopRun, into: &taskIDsByDesktop, &taskStatusesByDesktop)
                desktopRun = TaskRun(key: desktopID, after: desktopNewest[desktopID]?.ordinal)
                // A deleted desktop leaves its tasks behind: they must still share one owner.
                desktopOwner = desktops[desktopID]?.ownerID ?? desktopNewest[desktopID]?.ownerID ?? ownerID
            }
            guard desktopOwner == ownerID else { throw InconsistentState(reason: "task \(id) is on a desktop of another user") }
            guard ownerRun.append(id, ordinal: ordinal, status: status), desktopRun.append(id, ordinal: ordinal, status: status) else {
                throw InconsistentState(reason: "task \(id) comes after a newer task of its owner or desktop")
            }
        }
        Self.flush(&ownerRun, into: &taskIDsByOwner, &taskStatusesByOwner)
        Self.flush(&desktopRun, into: &taskIDsByDesktop, &taskStatusesByDesktop)
        // The map has no order, so the records can be taken from the end, each moved rather than copied.
        while let task = tasks.popLast() {
            let id = task.id
            guard self.tasks.updateValue(task, forKey: id) == nil else { throw InconsistentState(reason: "task \(id) appears twice") }
        }
    }

    /// Adds the run's tasks to the end of their list and of its status positions, and empties the run.
    private static func flush<Key: Hashable>(
        _ run: inout TaskRun<Key>,
        into ids: inout [Key: [TaskID]],
        _ statuses: inout [Key: TaskStatusPositions]
    ) {
        guard let key = run.key, !run.ids.isEmpty else { return }
        ids[key, default: []].append(contentsOf: run.ids)
        statuses[key, default: TaskStatusPositions()].append(contentsOf: run.statuses)
        run = TaskRun()
    }
}

/// Consecutive tasks of one owner or one desktop met while restoring, added to their lists in one go.
private struct TaskRun<Key: Hashable> {
    var key: Key?
    var ids: [TaskID] = []
    var statuses: [TaskStatus] = []
    /// The ordinal of the list's newest task so far.
    var newest: UInt64?

    init(key: Key? = nil, after newest: UInt64? = nil) {
        self.key = key
        self.newest = newest
    }

    /// Adds a task unless it is not newer than the one before it in its list.
    mutating func append(_ id: TaskID, ordinal: UInt64, status: TaskStatus) -> Bool {
        if let newest, newest >= ordinal { return false }
        newest = ordinal
        ids.append(id)
        statuses.append(status)
        return true
    }
}
