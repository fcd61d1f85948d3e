extension StoreState {
    /// The events `mutation` (numbered `sequence`, just applied) produces, read from the state after it.
    /// A deletion passes the desktop as it was and the tasks it cancelled.
    func activityEvents(of mutation: Mutation, sequence: UInt64, deletion: (desktop: Desktop, cancelled: [TaskID])?) -> [ActivityEvent] {
        func event(_ kind: ActivityKind, _ at: Timestamp, _ userID: UserID, _ subject: ActivitySubject, index: UInt32 = 0) -> ActivityEvent {
            ActivityEvent(id: ActivityEventID(sequence: sequence, index: index), kind: kind, at: at, userID: userID, subject: subject)
        }
        switch mutation {
        case .userCreated, .apiKeysUsed, .sessionCreated, .sessionEnded, .sessionsUsed, .sessionsPruned, .idempotencyExpired:
            return []
        case .apiKeyCreated(let key):
            return [event(.apiKeyCreated, key.createdAt, key.userID, .apiKey(APIKeySummary(key)))]
        case .apiKeyRevoked(let revocation):
            guard let key = apiKeys[revocation.id] else { return [] }
            return [event(.apiKeyRevoked, revocation.at, key.userID, .apiKey(APIKeySummary(key)))]
        case .apiKeyLeaked(let revocation):
            guard let key = apiKeys[revocation.id] else { return [] }
            return [event(.apiKeyLeaked, revocation.at, key.userID, .apiKey(APIKeySummary(key)))]
        case .apiKeysRevokedUnused(let revocation):
            return revocation.ids.enumerated().compactMap { index, id in
                apiKeys[id].map { event(.apiKeyRevokedUnused, revocation.at, $0.userID, .apiKey(APIKeySummary($0)), index: UInt32(index)) }
            }
        case .apiKeyRolled(let roll):
            // The rolled key, then its successor as a created key.
            guard let key = apiKeys[roll.id] else { return [] }
            return [
                event(.apiKeyRolled, roll.at, key.userID, .apiKey(APIKeySummary(key))),
                event(.apiKeyCreated, roll.at, key.userID, .apiKey(APIKeySummary(roll.successor)), index: 1),
            ]
        case .desktopCreated(let desktop):
            return [event(.desktopCreated, desktop.createdAt, desktop.ownerID, .desktop(desktop))]
        case .desktopUpdated(let change):
            guard let desktop = desktops[change.id] else { return [] }
            return [event(.desktopUpdated, change.at, desktop.ownerID, .desktop(desktop))]
        case .desktopDeleted(let change):
            guard let deletion else { return [] }
            var events = [event(.desktopDeleted, change.at, deletion.desktop.ownerID, .desktop(deletion.desktop))]
            for taskID in deletion.cancelled {
                guard let task = tasks[taskID] else { continue }
                events.append(event(.taskUpdated, change.at, task.ownerID, .task(task), index: UInt32(events.count)))
            }
            return events
        case .taskCreated(let creation):
            return [event(.taskCreated, creation.task.createdAt, creation.task.ownerID, .task(creation.task))]
        case .taskUpdated(let change):
            guard let task = tasks[change.id] else { return [] }
            return [event(.taskUpdated, change.at, task.ownerID, .task(task))]
        }
    }

    /// Adds `events` to their users' recent activity.
    mutating func record(_ events: [ActivityEvent]) {
        for event in events {
            let stored = StoredActivityEvent(event, keys: apiKeys)
            let capacity = activityCapacity
            userEntries[event.userID, default: UserEntry()].modifyActivity { $0.append(stored, capacity: capacity) }
        }
    }

    /// Keeps `capacity` events per user from now on, dropping the oldest beyond it at once.
    public mutating func setActivityCapacity(_ capacity: Int) {
        activityCapacity = max(capacity, 0)
        let kept = activityCapacity
        // By index, so the map is changed in place rather than copied for a loop over its keys.
        var index = userEntries.startIndex
        while index != userEntries.endIndex {
            if userEntries.values[index].activity.holdsMore(than: kept) {
                userEntries.values[index].modifyActivity { $0.trim(to: kept) }
            }
            userEntries.formIndex(after: &index)
        }
    }

    /// Restores one user's recent activity as a snapshot stored it (trimmed to the capacity).
    public mutating func restoreActivity(of userID: UserID, _ recent: UserActivity) {
        // Only the events the capacity keeps are converted, into a buffer of their size: converting all and
        // trimming after would copy the kept ones a second time.
        let events = recent.events
        let dropped = max(events.count - max(activityCapacity, 0), 0)
        var stored: [StoredActivityEvent] = []
        stored.reserveCapacity(events.count - dropped)
        for event in events.dropFirst(dropped) { stored.append(StoredActivityEvent(event, keys: apiKeys)) }
        let droppedThrough = dropped > 0 ? events[events.startIndex + dropped - 1].id : recent.droppedThrough
        restoreActivity(of: userID, stored: stored, droppedThrough: droppedThrough)
    }

    /// Restores one user's recent activity from events in the stored form (a snapshot's records: key events
    /// with their summaries), trimmed to the capacity. The buffer becomes the history's own: a user's whole
    /// history is not copied at start-up.
    ///
    /// Except when a key event's summary is its key's record's: such events are stored by id, in a new
    /// buffer. Not in place: the summaries' blocks were allocated between the decoded buffers, and the holes
    /// they would leave there, once freed, are not returned to the system (the copy lets the decoded buffer
    /// and its summaries be freed together).
    package mutating func restoreActivity(
        of userID: UserID,
        stored: consuming [StoredActivityEvent],
        droppedThrough: ActivityEventID?
    ) {
        var events = stored
        let keys = apiKeys
        func resolved(_ event: StoredActivityEvent) -> StoredActivityEvent? {
            guard case .apiKeySummary(let summary) = event.subject, let record = keys[summary.id], APIKeySummary(record) == summary
            else { return nil }
            var stored = event
            stored.subject = .apiKey(summary.id)
            return stored
        }
        if events.contains(where: { resolved($0) != nil }) {
            events = events.map { resolved($0) ?? $0 }
        }
        let activity = CompactActivity(events: events, droppedThrough: droppedThrough, capacity: activityCapacity)
        userEntries[userID, default: UserEntry()].modifyActivity { $0 = activity }
    }

    /// The recent activity of `userID` as stored (key events by id refer to ``apiKeys``), or `nil` when they
    /// never had an event: what a snapshot's records hold. The kept events are `storage[start...]`, the
    /// history's own buffer (shared, not copied).
    package func storedActivity(
        of userID: UserID
    ) -> (storage: [StoredActivityEvent], start: Int, droppedThrough: ActivityEventID?)? {
        switch userEntries[userID]?.activity ?? .absent {
        case .absent: nil
        case .one(let event): ([event], 0, nil)
        case .ring(let ring): (ring.storage, ring.start, ring.droppedThrough)
        }
    }

    /// What a client of `userID` that last saw `lastSeen` (`nil`: nothing yet, a fresh stream) has missed.
    /// A fresh stream misses nothing: it starts with what happens next.
    ///
    /// Only events of commits through `durableThrough` count: a later one may still be undone by a crash, so
    /// it is never replayed (a stream receives it live once it is durable).
    public func activityReplay(of userID: UserID, after lastSeen: ActivityEventID?, durableThrough: UInt64 = .max) -> ActivityReplay {
        guard let lastSeen else { return .events([]) }
        let recent = userEntries[userID]?.activity ?? .absent
        let events = recent.events
        let newestDurable =
            events.last { $0.sequence <= durableThrough }?.id
            ?? recent.droppedThrough.flatMap { $0.sequence <= durableThrough ? $0 : nil }
        // An id past the end of this history belongs to another one (a restored backup, say).
        if lastSeen.sequence > sequence { return .reset(through: newestDurable) }
        if let dropped = recent.droppedThrough, lastSeen < dropped { return .reset(through: newestDurable) }
        var missed: [ActivityEvent] = []
        for event in events where event.id > lastSeen && event.sequence <= durableThrough {
            missed.append(event.event(of: userID, keys: apiKeys))
        }
        return .events(missed)
    }

    /// One page of the recent activity of `userID`, newest first: at most `limit` events older than
    /// `before` (all kept events when `nil`).
    public func activityPage(of userID: UserID, before: ActivityEventID?, limit: Int) -> [ActivityEvent] {
        guard let events = userEntries[userID]?.activity.events else { return [] }
        var page: [ActivityEvent] = []
        for event in events.reversed() where before.map({ event.id < $0 }) ?? true {
            page.append(event.event(of: userID, keys: apiKeys))
            if page.count == limit { break }
        }
        return page
    }
}
