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
        activeKeyIDsByLookup.reserveCapacity(apiKeys.count)
        for key in apiKeys {
            guard self.users[key.userID] != nil else { throw InconsistentState(reason: "key \(key.id) belongs to unknown user \(key.userID)") }
            guard self.apiKeys.updateValue(key, forKey: key.id) == nil else { throw InconsistentState(reason: "key \(key.id) appears twice") }
            if key.isActive {
                guard activeKeyIDsByLookup.updateValue(key.id, forKey: key.lookupID) == nil else {
                    throw InconsistentState(reason: "key \(key.id) has a lookup id already in use")
                }
                activeKeyIDsByUser[key.userID, default: []].append(key.id)
            }
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
    private mutating func restoreTasks(_ tasks: consuming [MissionTask]) throws(InconsistentState) {
        self.tasks.reserveCapacity(tasks.count)
        taskIDsByOwner.reserveCapacity(users.count)
        taskIDsByDesktop.reserveCapacity(desktops.count)
        var checkedOwner: UserID?
        var checkedDesktop: (id: DesktopID, ownerID: UserID?)?
        var ownerRun: (ownerID: UserID, ids: [TaskID])?
        var desktopRun: (desktopID: DesktopID, ids: [TaskID])?
        for index in tasks.indices {
            let (id, ownerID, desktopID) = (tasks[index].id, tasks[index].ownerID, tasks[index].desktopID)
            if checkedOwner != ownerID {
                guard users[ownerID] != nil else { throw InconsistentState(reason: "task \(id) belongs to unknown user \(ownerID)") }
                checkedOwner = ownerID
            }
            if checkedDesktop?.id != desktopID {
                checkedDesktop = (desktopID, desktops[desktopID]?.ownerID)
            }
            // A deleted desktop leaves its tasks behind, so only a desktop that still exists is checked.
            if let desktopOwner = checkedDesktop?.ownerID, desktopOwner != ownerID {
                throw InconsistentState(reason: "task \(id) is on a desktop of another user")
            }
            if ownerRun?.ownerID == ownerID {
                ownerRun?.ids.append(id)
            } else {
                if let run = ownerRun { taskIDsByOwner[run.ownerID, default: []].append(contentsOf: run.ids) }
                ownerRun = (ownerID, [id])
            }
            if desktopRun?.desktopID == desktopID {
                desktopRun?.ids.append(id)
            } else {
                if let run = desktopRun { taskIDsByDesktop[run.desktopID, default: []].append(contentsOf: run.ids) }
                desktopRun = (desktopID, [id])
            }
        }
        if let run = ownerRun { taskIDsByOwner[run.ownerID, default: []].append(contentsOf: run.ids) }
        if let run = desktopRun { taskIDsByDesktop[run.desktopID, default: []].append(contentsOf: run.ids) }
        // The map has no order, so the records can be taken from the end, each moved rather than copied.
        while let task = tasks.popLast() {
            let id = task.id
            guard self.tasks.updateValue(task, forKey: id) == nil else { throw InconsistentState(reason: "task \(id) appears twice") }
        }
    }
}
