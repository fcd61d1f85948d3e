import BureauStore

/// Keeps each key's latest use in memory (so `lastUsedAt` is current in listings at no cost per request)
/// and persists the uses in batches through the store, so authentication never waits on the log.
public final class KeyUsageRecorder: Sendable {
    private let store: BureauStore
    private let ledger = UsageLedger<APIKeyID>()

    init(store: BureauStore) {
        self.store = store
    }

    /// Notes a successful use of a key.
    public func record(_ id: APIKeyID, at time: Timestamp) {
        ledger.note(id, at: time)
    }

    /// The latest use of a key: the unsaved one if newer than what the store holds.
    public func lastUsed(_ record: APIKeyRecord) -> Timestamp? {
        [ledger.unsaved(record.id), record.lastUsedAt].compactMap { $0 }.max()
    }

    /// Writes the uses noted since the last flush (keys revoked meanwhile included: their record remains).
    /// On failure the uses are kept for the next flush.
    public func flush() async throws {
        try await ledger.flush(through: store) { state, batch in
            let uses = batch.filter { state.apiKeys[$0.key] != nil }.map { APIKeyUse(id: $0.key, at: $0.value) }
                .sorted { $0.id.description < $1.id.description }
            return uses.isEmpty ? nil : .apiKeysUsed(uses)
        }
    }
}
