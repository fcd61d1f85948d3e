/// The whole in-memory state, with the indexes the API needs. A value: the store actor owns the one
/// live copy; snapshots copy it (copy-on-write makes that cheap until the next mutation).
public struct StoreState: Sendable, Equatable {
    /// Sequence of the last mutation applied (0 for an empty store).
    public internal(set) var sequence: UInt64 = 0

    public internal(set) var users: [UserID: User] = [:]
    public internal(set) var userIDsByEmail: [String: UserID] = [:]

    /// Every key ever created, revoked ones included (they keep their `revokedAt`), by id and by lookup id.
    public internal(set) var apiKeys = APIKeyTable()
    /// Each user's active keys (oldest first) and recent activity, for users that have either: one entry
    /// per user (see ``UserEntry``).
    var userEntries: [UserID: UserEntry] = [:]
    /// Requests per day and the latest client of each key that was used (``KeyUsageHistory``), revoked keys
    /// included.
    public internal(set) var keyUsage: [APIKeyID: KeyUsageHistory] = [:]

    public internal(set) var desktops: [DesktopID: Desktop] = [:]
    /// Desktops of each user in creation order.
    public internal(set) var desktopIDsByOwner: [UserID: [DesktopID]] = [:]

    public internal(set) var tasks: [TaskID: MissionTask] = [:]
    /// Tasks of each user in creation order.
    public internal(set) var taskIDsByOwner: [UserID: [TaskID]] = [:]
    /// Tasks of each desktop in creation order.
    public internal(set) var taskIDsByDesktop: [DesktopID: [TaskID]] = [:]
    /// For each list of ``taskIDsByOwner``, the positions of its tasks by status, so that a filtered listing
    /// reads only the tasks it returns (derived, never persisted).
    var taskStatusesByOwner: [UserID: TaskStatusPositions] = [:]
    /// For each list of ``taskIDsByDesktop``, the positions of its tasks by status.
    var taskStatusesByDesktop: [DesktopID: TaskStatusPositions] = [:]

    /// Remembered `Idempotency-Key`s of task creations.
    public internal(set) var idempotency: [IdempotencyScope: IdempotencyRecord] = [:]

    /// Live browser sessions by id (ended and expired ones are removed).
    public internal(set) var sessions: [SessionID: SessionRecord] = [:]
    /// Live sessions by the digest of their secret.
    public internal(set) var sessionIDsByDigest: [SessionDigest: SessionID] = [:]

    /// The recent activity of each user (at most ``activityCapacity`` events each), for stream resumes
    /// and the activity list. Rebuilt by replaying the log like everything else, and kept in snapshots.
    public var activity: UserActivities { UserActivities(entries: userEntries, keys: apiKeys) }
    /// `stream.replay_events`: events kept per user (a setting, never persisted).
    public internal(set) var activityCapacity: Int = StoreState.defaultActivityCapacity

    /// The default of ``activityCapacity``.
    public static let defaultActivityCapacity = 1000

    /// An empty state.
    public init() {}

    /// An empty state keeping `activityCapacity` events per user.
    public init(activityCapacity: Int) {
        self.activityCapacity = max(activityCapacity, 0)
    }
}

/// The key an idempotency record is found by: one user's one `Idempotency-Key`.
public struct IdempotencyScope: Hashable, Sendable {
    public var userID: UserID
    public var key: String
    public init(userID: UserID, key: String) {
        self.userID = userID
        self.key = key
    }
}

/// Why a mutation cannot be applied to a state: on the live path it means the request was wrong;
/// during recovery it means the files do not describe a consistent history.
public struct InconsistentMutation: Error, Equatable, CustomStringConvertible {
    public var kind: String
    public var reason: String
    public var description: String { "\(kind): \(reason)" }
}

extension StoreState {
    /// Checks that `mutation` applies to this state, without changing it.
    public func validate(_ mutation: Mutation) throws(InconsistentMutation) {
        func fail(_ reason: String) -> InconsistentMutation { InconsistentMutation(kind: mutation.kind, reason: reason) }
        switch mutation {
        case .userCreated(let user):
            guard users[user.id] == nil else { throw fail("user \(user.id) exists") }
            guard userIDsByEmail[user.email] == nil else { throw fail("email already in use") }
        case .apiKeyCreated(let key):
            guard users[key.userID] != nil else { throw fail("unknown user \(key.userID)") }
            guard apiKeys[key.id] == nil else { throw fail("key \(key.id) exists") }
            guard apiKeys.activeKey(lookupID: key.lookupID) == nil else { throw fail("lookup id in use") }
        case .apiKeyRevoked(let revocation), .apiKeyLeaked(let revocation):
            guard apiKeys[revocation.id]?.isActive == true else { throw fail("no active key \(revocation.id)") }
        case .apiKeyRolled(let roll):
            guard let key = apiKeys[roll.id], key.isActive, !key.isRolled else { throw fail("no active unrolled key \(roll.id)") }
            let successor = roll.successor
            guard successor.userID == key.userID, successor.isActive, !successor.isRolled else { throw fail("successor does not match") }
            guard apiKeys[successor.id] == nil else { throw fail("key \(successor.id) exists") }
            guard apiKeys.activeKey(lookupID: successor.lookupID) == nil else { throw fail("lookup id in use") }
        case .apiKeysUsed(let uses):
            for use in uses where apiKeys[use.id] == nil { throw fail("unknown key \(use.id)") }
        case .apiKeysRevokedUnused(let revocation):
            var seen: Set<APIKeyID> = []
            for id in revocation.ids {
                guard apiKeys[id]?.isActive == true else { throw fail("no active key \(id)") }
                guard seen.insert(id).inserted else { throw fail("key \(id) appears twice") }
            }
        case .desktopCreated(let desktop):
            guard users[desktop.ownerID] != nil else { throw fail("unknown user \(desktop.ownerID)") }
            guard desktops[desktop.id] == nil else { throw fail("desktop \(desktop.id) exists") }
        case .desktopUpdated(let change):
            guard desktops[change.id] != nil else { throw fail("unknown desktop \(change.id)") }
        case .desktopDeleted(let deletion):
            guard desktops[deletion.id] != nil else { throw fail("unknown desktop \(deletion.id)") }
        case .taskCreated(let creation):
            guard tasks[creation.task.id] == nil else { throw fail("task \(creation.task.id) exists") }
            guard let desktop = desktops[creation.task.desktopID] else { throw fail("unknown desktop \(creation.task.desktopID)") }
            guard desktop.ownerID == creation.task.ownerID else { throw fail("desktop belongs to another user") }
            // Listings find positions by ordinal, so each list must stay in ascending ordinal order.
            guard newestOrdinal(ofOwner: creation.task.ownerID).map({ $0 < creation.task.ordinal }) ?? true,
                newestOrdinal(onDesktop: creation.task.desktopID).map({ $0 < creation.task.ordinal }) ?? true
            else { throw fail("task \(creation.task.id) is not newer than the tasks before it") }
        case .taskUpdated(let change):
            guard let task = tasks[change.id] else { throw fail("unknown task \(change.id)") }
            guard task.status.canMove(to: change.status) else {
                throw fail("transition \(task.status.rawValue) → \(change.status.rawValue)")
            }
        case .sessionCreated, .sessionEnded, .sessionsUsed, .sessionsPruned:
            try validateSession(mutation, fail: fail)
        case .idempotencyExpired:
            return
        }
    }

    /// Applies `mutation` as the mutation numbered `sequence`, which must follow the state's own sequence,
    /// records the activity events it produces, and returns them.
    @discardableResult
    public mutating func apply(_ mutation: Mutation, sequence: UInt64) throws(InconsistentMutation) -> [ActivityEvent] {
        guard sequence == self.sequence + 1 else {
            throw InconsistentMutation(kind: mutation.kind, reason: "sequence \(sequence) does not follow \(self.sequence)")
        }
        try validate(mutation)
        self.sequence = sequence
        var deletion: (desktop: Desktop, cancelled: [TaskID])?
        switch mutation {
        case .userCreated(let user):
            users[user.id] = user
            userIDsByEmail[user.email] = user.id
        case .apiKeyCreated(let key):
            apiKeys[key.id] = key
            if key.isActive { userEntries[key.userID, default: UserEntry()].modifyKeys { $0.append(key.id) } }
        case .apiKeyRevoked(let revocation), .apiKeyLeaked(let revocation):
            revokeKeys([revocation.id], at: revocation.at)
        case .apiKeysRevokedUnused(let revocation):
            revokeKeys(revocation.ids, at: revocation.at)
        case .apiKeyRolled(let roll):
            apiKeys[roll.id]?.expiresAt = roll.expiresAt
            apiKeys[roll.id]?.isRolled = true
            let successor = roll.successor
            apiKeys[successor.id] = successor
            userEntries[successor.userID, default: UserEntry()].modifyKeys { $0.append(successor.id) }
        case .apiKeysUsed(let uses):
            for use in uses {
                if !use.requests.isEmpty || use.client != nil {
                    var history = keyUsage[use.id] ?? KeyUsageHistory()
                    for entry in use.requests { history.add(entry.count, on: entry.day) }
                    history.noteClient(use.client, at: use.at)
                    keyUsage[use.id] = history
                }
                if let previous = apiKeys[use.id]?.lastUsedAt, previous >= use.at { continue }
                apiKeys[use.id]?.lastUsedAt = use.at
            }
        case .desktopCreated(let desktop):
            desktops[desktop.id] = desktop
            desktopIDsByOwner[desktop.ownerID, default: []].append(desktop.id)
        case .desktopUpdated(let change):
            if let name = change.name { desktops[change.id]?.name = name }
            if let status = change.status { desktops[change.id]?.status = status }
            desktops[change.id]?.updatedAt = change.at
        case .desktopDeleted(let change):
            guard let desktop = desktops.removeValue(forKey: change.id) else { return [] }
            desktopIDsByOwner[desktop.ownerID]?.removeAll { $0 == desktop.id }
            if desktopIDsByOwner[desktop.ownerID]?.isEmpty == true { desktopIDsByOwner[desktop.ownerID] = nil }
            deletion = (desktop, cancelUnfinishedTasks(onDesktop: desktop.id, at: change.at))
        case .taskCreated(let creation):
            indexNewTask(creation.task)
            if let record = creation.idempotency {
                idempotency[IdempotencyScope(userID: record.userID, key: record.key)] = record
            }
        case .taskUpdated(let change):
            if let task = tasks[change.id] { replace(task, with: task.moved(to: change.status, result: change.result, at: change.at)) }
        case .sessionCreated, .sessionEnded, .sessionsUsed, .sessionsPruned:
            applySession(mutation)
        case .idempotencyExpired(let expiry):
            idempotency = idempotency.filter { !$0.value.hasExpired(at: expiry.at) }
        }
        let events = activityEvents(of: mutation, sequence: sequence, deletion: deletion)
        record(events)
        return events
    }

    /// Revokes the keys `ids` and drops them from their owners' lists of active keys: each owner's list is
    /// filtered once, however many of its keys go (a sweep of many keys of one user stays linear).
    private mutating func revokeKeys(_ ids: [APIKeyID], at time: Timestamp) {
        var revokedByUser: [UserID: Set<APIKeyID>] = [:]
        for id in ids {
            guard var key = apiKeys[id] else { continue }
            key.revokedAt = time
            apiKeys[key.id] = key
            revokedByUser[key.userID, default: []].insert(key.id)
        }
        for (userID, revoked) in revokedByUser {
            userEntries[userID]?.modifyKeys { keys in
                if revoked.count == 1, let id = revoked.first {
                    keys.removeAll { $0 == id }
                } else {
                    keys.removeAll { revoked.contains($0) }
                }
            }
            // An emptied entry is dropped, so a state rebuilt from records equals the live one.
            if userEntries[userID]?.isEmpty == true { userEntries[userID] = nil }
        }
    }
}
