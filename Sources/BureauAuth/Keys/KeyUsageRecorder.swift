import BureauStore
import Synchronization

/// Keeps each key's latest use in memory (so `lastUsedAt` is current in listings at no cost per request)
/// and persists the uses in batches through the store, so authentication never waits on the log.
public final class KeyUsageRecorder: Sendable {
    private let store: BureauStore
    private let pending: Mutex<[APIKeyID: Timestamp]>

    init(store: BureauStore) {
        self.store = store
        self.pending = Mutex([:])
    }

    /// Notes a successful use of a key.
    public func record(_ id: APIKeyID, at time: Timestamp) {
        pending.withLock { pending in
            if let previous = pending[id], previous >= time { return }
            pending[id] = time
        }
    }

    /// The latest use of a key: the unsaved one if newer than what the store holds.
    public func lastUsed(_ record: APIKeyRecord) -> Timestamp? {
        let unsaved = pending.withLock { $0[record.id] }
        return [unsaved, record.lastUsedAt].compactMap { $0 }.max()
    }

    /// Writes the uses noted since the last flush (keys revoked meanwhile included: their record remains).
    /// On failure the uses are kept for the next flush.
    public func flush() async throws {
        let batch = pending.withLock { pending in
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            return batch
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.commit { state, _, _ -> (Mutation?, Void) in
                let uses = batch.filter { state.apiKeys[$0.key] != nil }.map { APIKeyUse(id: $0.key, at: $0.value) }
                    .sorted { $0.id.description < $1.id.description }
                return (uses.isEmpty ? nil : .apiKeysUsed(uses), ())
            }
        } catch {
            pending.withLock { pending in
                for (id, time) in batch where (pending[id].map { $0 < time } ?? true) { pending[id] = time }
            }
            throw error
        }
    }
}
