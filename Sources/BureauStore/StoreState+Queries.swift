/// One page of a listing and where the next one starts.
public struct Page<Element: Sendable>: Sendable {
    public var items: [Element]
    /// The ordinal to continue from, or `nil` when this was the last page.
    public var next: UInt64?
    public init(items: [Element], next: UInt64?) {
        self.items = items
        self.next = next
    }
}

extension StoreState {
    /// The user with this email (normalised first), if any.
    public func user(email: String) -> User? {
        userIDsByEmail[User.normalise(email: email)].flatMap { users[$0] }
    }

    /// The active key record with this public lookup id.
    public func activeKey(lookupID: String) -> APIKeyRecord? {
        apiKeys.activeKey(lookupID: lookupID)
    }

    /// Whether a revoked key had this public lookup id (so a refused key's reason can be told: unknown or
    /// revoked, for metrics).
    public func isRevokedKey(lookupID: String) -> Bool {
        apiKeys.hasRevokedKey(lookupID: lookupID)
    }

    /// The ids of the user's active keys, oldest first, expired ones included.
    public func activeKeyIDs(of userID: UserID) -> [APIKeyID] {
        userEntries[userID]?.keys.ids ?? []
    }

    /// How many active keys the user has, expired ones included.
    public func activeKeyCount(of userID: UserID) -> Int {
        userEntries[userID]?.keys.count ?? 0
    }

    /// The user's active keys, oldest first, expired ones included (see ``usableKeys(of:at:)``).
    public func activeKeys(of userID: UserID) -> [APIKeyRecord] {
        var keys: [APIKeyRecord] = []
        userEntries[userID]?.keys.forEachID { id in if let key = apiKeys[id] { keys.append(key) } }
        return keys
    }

    /// The user's keys that neither are revoked nor have expired at `now`, oldest first.
    public func usableKeys(of userID: UserID, at now: Timestamp) -> [APIKeyRecord] {
        var keys: [APIKeyRecord] = []
        userEntries[userID]?.keys.forEachID { id in if let key = apiKeys[id], !key.hasExpired(at: now) { keys.append(key) } }
        return keys
    }

    /// How many of the user's keys are usable at `now` (what the per-user cap counts).
    public func usableKeyCount(of userID: UserID, at now: Timestamp) -> Int {
        var count = 0
        userEntries[userID]?.keys.forEachID { id in if apiKeys[id]?.hasExpired(at: now) == false { count += 1 } }
        return count
    }

    /// A page of the user's desktops in creation order, starting after the desktop with ordinal `after`.
    public func desktops(of userID: UserID, after: UInt64?, limit: Int) -> Page<Desktop> {
        let ids = desktopIDsByOwner[userID] ?? []
        var start = 0
        if let after {
            start = Self.firstIndex(in: ids[...]) { (desktops[$0]?.ordinal ?? 0) > after }
        }
        let slice = ids[start..<min(ids.count, start + limit)]
        let items = slice.compactMap { desktops[$0] }
        let next = start + limit < ids.count ? items.last?.ordinal : nil
        return Page(items: items, next: next)
    }

    /// A page of the user's tasks, newest first, optionally filtered, starting before the task with ordinal `before`.
    ///
    /// Reads only the tasks it returns, plus O(log n) to find `before`: a filter by status walks the status
    /// positions of the list (the owner's, or the desktop's), never the tasks that do not match, so however
    /// many tasks one user has, the shared lock is held for a time bounded by the page.
    public func tasks(
        of userID: UserID,
        desktopID: DesktopID?,
        status: TaskStatus?,
        before: UInt64?,
        limit: Int
    ) -> Page<MissionTask> {
        var visits = 0
        return tasks(of: userID, desktopID: desktopID, status: status, before: before, limit: limit, visits: &visits)
    }

    /// ``tasks(of:desktopID:status:before:limit:)``, adding to `visits` the number of task records it read.
    func tasks(
        of userID: UserID,
        desktopID: DesktopID?,
        status: TaskStatus?,
        before: UInt64?,
        limit: Int,
        visits: inout Int
    ) -> Page<MissionTask> {
        let empty = Page<MissionTask>(items: [], next: nil)
        let ids: [TaskID]
        let statuses: TaskStatusPositions?
        if let desktopID {
            (ids, statuses) = (taskIDsByDesktop[desktopID] ?? [], taskStatusesByDesktop[desktopID])
            // A desktop's tasks all have its owner (checked on creation and on restore): one look tells whose they are.
            visits += ids.isEmpty ? 0 : 1
            guard let newest = ids.last, tasks[newest]?.ownerID == userID else { return empty }
        } else {
            (ids, statuses) = (taskIDsByOwner[userID] ?? [], taskStatusesByOwner[userID])
        }
        var end = ids.count
        if let before {
            end = Self.firstIndex(in: ids[...]) { id in
                visits += 1
                return (tasks[id]?.ordinal ?? 0) >= before
            }
        }
        // The position of the next match below `end`, from the status positions when filtering by status.
        func previous(before end: Int) -> Int? {
            guard let status else { return end > 0 ? end - 1 : nil }
            return statuses?.last(status, before: end)
        }
        var items: [MissionTask] = []
        items.reserveCapacity(max(0, min(limit, end)))
        var more = false
        while let position = previous(before: end) {
            // One match past a full page only says that there is a next page.
            guard items.count < limit else {
                more = true
                break
            }
            visits += 1
            if let task = tasks[ids[position]], task.ownerID == userID { items.append(task) }
            end = position
        }
        return Page(items: items, next: more ? items.last?.ordinal : nil)
    }

    /// The remembered creation for this user's idempotency key, if it is still within its retention.
    public func idempotencyRecord(userID: UserID, key: String, now: Timestamp) -> IdempotencyRecord? {
        guard let record = idempotency[IdempotencyScope(userID: userID, key: key)] else { return nil }
        return record.hasExpired(at: now) ? nil : record
    }

    /// Whether any idempotency record's retention is over at `now` (the sweep then commits
    /// ``Mutation/idempotencyExpired(_:)``). A scan of the records kept: at most a day of keyed creations.
    public func hasExpiredIdempotencyRecords(at now: Timestamp) -> Bool {
        idempotency.values.contains { $0.hasExpired(at: now) }
    }
}
