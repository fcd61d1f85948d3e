import BureauStore
import Synchronization

/// Keeps each session's latest use in memory (so the idle timeout follows every request at no cost to
/// it) and persists the uses in batches through the store, like ``KeyUsageRecorder`` does for keys.
/// After a crash a session may look idle since its last written use: it can only expire earlier, never later.
public final class SessionUsageRecorder: Sendable {
    private let store: BureauStore
    private let pending: Mutex<[SessionID: Timestamp]>

    init(store: BureauStore) {
        self.store = store
        self.pending = Mutex([:])
    }

    /// Notes a use of a session.
    public func record(_ id: SessionID, at time: Timestamp) {
        pending.withLock { pending in
            if let previous = pending[id], previous >= time { return }
            pending[id] = time
        }
    }

    /// The latest use of a session: the unsaved one if newer than what the store holds.
    public func lastSeen(_ record: SessionRecord) -> Timestamp {
        let unsaved = pending.withLock { $0[record.id] }
        guard let unsaved, unsaved > record.lastSeenAt else { return record.lastSeenAt }
        return unsaved
    }

    /// Writes the uses noted since the last flush (of sessions still live). On failure they are kept
    /// for the next flush.
    public func flush() async throws {
        let batch = pending.withLock { pending in
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            return batch
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.commit { state, _, _ -> (Mutation?, Void) in
                let uses = batch.filter { entry in state.sessions[entry.key].map { $0.lastSeenAt < entry.value } ?? false }
                    .map { SessionUse(id: $0.key, at: $0.value) }
                    .sorted { $0.id.description < $1.id.description }
                return (uses.isEmpty ? nil : .sessionsUsed(uses), ())
            }
        } catch {
            pending.withLock { pending in
                for (id, time) in batch where (pending[id].map { $0 < time } ?? true) { pending[id] = time }
            }
            throw error
        }
    }
}
