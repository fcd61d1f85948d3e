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
        activeKeyIDsByLookup[lookupID].flatMap { apiKeys[$0] }
    }

    /// The user's active keys, oldest first.
    public func activeKeys(of userID: UserID) -> [APIKeyRecord] {
        (activeKeyIDsByUser[userID] ?? []).compactMap { apiKeys[$0] }
    }

    /// A page of the user's desktops in creation order, starting after the desktop with ordinal `after`.
    public func desktops(of userID: UserID, after: UInt64?, limit: Int) -> Page<Desktop> {
        let ids = desktopIDsByOwner[userID] ?? []
        var start = 0
        if let after {
            start = Self.firstIndex(in: ids, where: { (desktops[$0]?.ordinal ?? 0) > after })
        }
        let slice = ids[start..<min(ids.count, start + limit)]
        let items = slice.compactMap { desktops[$0] }
        let next = start + limit < ids.count ? items.last?.ordinal : nil
        return Page(items: items, next: next)
    }

    /// A page of the user's tasks, newest first, optionally filtered, starting before the task with ordinal `before`.
    public func tasks(
        of userID: UserID,
        desktopID: DesktopID?,
        status: TaskStatus?,
        before: UInt64?,
        limit: Int
    ) -> Page<MissionTask> {
        let ids = desktopID.map { taskIDsByDesktop[$0] ?? [] } ?? taskIDsByOwner[userID] ?? []
        var end = ids.count
        if let before {
            end = Self.firstIndex(in: ids, where: { (tasks[$0]?.ordinal ?? 0) >= before })
        }
        var items: [MissionTask] = []
        var index = end - 1
        while index >= 0, items.count < limit {
            if let task = tasks[ids[index]], task.ownerID == userID, status == nil || task.status == status {
                items.append(task)
            }
            index -= 1
        }
        var more = false
        while index >= 0 {
            if let task = tasks[ids[index]], task.ownerID == userID, status == nil || task.status == status {
                more = true
                break
            }
            index -= 1
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

    /// Binary search over ids kept in ascending ordinal order: the first index whose element satisfies `predicate`
    /// (which must be false then true along the array).
    private static func firstIndex<ID>(in ids: [ID], where predicate: (ID) -> Bool) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if predicate(ids[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
