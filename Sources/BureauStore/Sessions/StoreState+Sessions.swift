extension StoreState {
    /// The live session whose secret has this digest, if any.
    public func session(digest: SessionDigest) -> SessionRecord? {
        sessionIDsByDigest[digest].flatMap { sessions[$0] }
    }

    /// The sessions over at `now` under `lifetime`, by id order; `lastSeen` gives a use newer than the
    /// record's (noted in memory, not yet written), if any.
    public func expiredSessions(
        at now: Timestamp,
        lifetime: SessionLifetime,
        lastSeen: (SessionRecord) -> Timestamp? = { _ in nil }
    ) -> [SessionID] {
        sessions.values.filter { record in
            let seen = max(lastSeen(record) ?? record.lastSeenAt, record.lastSeenAt)
            return lifetime.hasExpired(createdAt: record.createdAt, lastSeenAt: seen, at: now)
        }
        .map(\.id)
        .sorted { $0.description < $1.description }
    }

    /// Checks a session mutation against this state (part of ``validate(_:)``).
    func validateSession(_ mutation: Mutation, fail: (String) -> InconsistentMutation) throws(InconsistentMutation) {
        switch mutation {
        case .sessionCreated(let session):
            guard users[session.userID] != nil else { throw fail("unknown user \(session.userID)") }
            guard sessions[session.id] == nil else { throw fail("session \(session.id) exists") }
            guard sessionIDsByDigest[session.digest] == nil else { throw fail("session digest in use") }
        case .sessionEnded(let ending):
            guard sessions[ending.id] != nil else { throw fail("no session \(ending.id)") }
        case .sessionsUsed(let uses):
            for use in uses where sessions[use.id] == nil { throw fail("no session \(use.id)") }
        case .sessionsPruned(let pruning):
            for id in pruning.ids where sessions[id] == nil { throw fail("no session \(id)") }
        default:
            return
        }
    }

    /// Applies a validated session mutation (part of ``apply(_:sequence:)``). Ended and expired sessions
    /// are removed at once: nothing about them is kept.
    mutating func applySession(_ mutation: Mutation) {
        switch mutation {
        case .sessionCreated(let session):
            sessions[session.id] = session
            sessionIDsByDigest[session.digest] = session.id
        case .sessionEnded(let ending):
            removeSession(ending.id)
        case .sessionsUsed(let uses):
            for use in uses {
                guard let previous = sessions[use.id]?.lastSeenAt, previous < use.at else { continue }
                sessions[use.id]?.lastSeenAt = use.at
            }
        case .sessionsPruned(let pruning):
            for id in pruning.ids { removeSession(id) }
        default:
            return
        }
    }

    private mutating func removeSession(_ id: SessionID) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        sessionIDsByDigest[session.digest] = nil
    }

    /// Adds the sessions a snapshot stored to a state rebuilt from its other records, checking them
    /// against each other and against the users.
    public mutating func restoreSessions(_ records: [SessionRecord]) throws(InconsistentState) {
        sessions.reserveCapacity(records.count)
        sessionIDsByDigest.reserveCapacity(records.count)
        for session in records {
            guard users[session.userID] != nil else {
                throw InconsistentState(reason: "session \(session.id) belongs to unknown user \(session.userID)")
            }
            guard sessions.updateValue(session, forKey: session.id) == nil else {
                throw InconsistentState(reason: "session \(session.id) appears twice")
            }
            guard sessionIDsByDigest.updateValue(session.id, forKey: session.digest) == nil else {
                throw InconsistentState(reason: "session \(session.id) has a digest already in use")
            }
        }
    }
}
