import BureauStore

/// Keeps each session's latest use in memory (so the idle timeout follows every request at no cost to
/// it) and persists the uses in batches through the store, like ``KeyUsageRecorder`` does for keys.
/// After a crash a session may look idle since its last written use: it can only expire earlier, never later.
public final class SessionUsageRecorder: Sendable {
    private let store: BureauStore
    private let ledger = UsageLedger<SessionID, Timestamp>()

    init(store: BureauStore) {
        self.store = store
    }

    /// Notes a use of a session.
    public func record(_ id: SessionID, at time: Timestamp) {
        ledger.note(id, at: time)
    }

    /// The latest use of a session: the unsaved one if newer than what the store holds.
    public func lastSeen(_ record: SessionRecord) -> Timestamp {
        guard let unsaved = ledger.unsaved(record.id), unsaved > record.lastSeenAt else { return record.lastSeenAt }
        return unsaved
    }

    /// Writes the uses noted since the last flush (of sessions still live). On failure they are kept
    /// for the next flush.
    public func flush() async throws {
        try await ledger.flush(through: store) { state, batch in
            let uses = batch.filter { entry in state.sessions[entry.key].map { $0.lastSeenAt < entry.value } ?? false }
                .map { SessionUse(id: $0.key, at: $0.value) }
                .sorted { $0.id.description < $1.id.description }
            return uses.isEmpty ? nil : .sessionsUsed(uses)
        }
    }
}
