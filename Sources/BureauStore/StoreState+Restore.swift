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
        tasks: [MissionTask],
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
            guard self.apiKeys.updateValue(key, forKey: key.id) == nil else { throw InconsistentState(reason: "key \(key.id) appears twice") }
            if key.isActive {
                guard activeKeyIDsByLookup.updateValue(key.id, forKey: key.lookupID) == nil else {
                    throw InconsistentState(reason: "key \(key.id) has a lookup id already in use")
                }
                activeKeyIDsByUser[key.userID, default: []].append(key.id)
            }
        }
        self.desktops.reserveCapacity(desktops.count)
        for desktop in desktops {
            guard self.users[desktop.ownerID] != nil else {
                throw InconsistentState(reason: "desktop \(desktop.id) belongs to unknown user \(desktop.ownerID)")
            }
            guard self.desktops.updateValue(desktop, forKey: desktop.id) == nil else {
                throw InconsistentState(reason: "desktop \(desktop.id) appears twice")
            }
            desktopIDsByOwner[desktop.ownerID, default: []].append(desktop.id)
        }
        self.tasks.reserveCapacity(tasks.count)
        for task in tasks {
            guard self.users[task.ownerID] != nil else { throw InconsistentState(reason: "task \(task.id) belongs to unknown user \(task.ownerID)") }
            // A deleted desktop leaves its tasks behind, so only a desktop that still exists is checked.
            if let desktop = self.desktops[task.desktopID], desktop.ownerID != task.ownerID {
                throw InconsistentState(reason: "task \(task.id) is on a desktop of another user")
            }
            guard self.tasks.updateValue(task, forKey: task.id) == nil else { throw InconsistentState(reason: "task \(task.id) appears twice") }
            taskIDsByOwner[task.ownerID, default: []].append(task.id)
            taskIDsByDesktop[task.desktopID, default: []].append(task.id)
        }
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
}
