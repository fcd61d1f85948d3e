import BureauStore
import Synchronization

/// The latest use of each of a kind of credential (API keys, sessions) since the last flush, kept in
/// memory so that noting a use costs a request nothing, and written through the store in batches.
///
/// Shared by ``KeyUsageRecorder`` and ``SessionUsageRecorder``, which differ only in the mutation a batch
/// becomes.
final class UsageLedger<ID: Hashable & Sendable>: Sendable {
    private let pending = Mutex<[ID: Timestamp]>([:])

    /// Notes a use; an older time than the one already noted changes nothing.
    func note(_ id: ID, at time: Timestamp) {
        pending.withLock { pending in
            if let previous = pending[id], previous >= time { return }
            pending[id] = time
        }
    }

    /// The use noted for `id` since the last flush, if any.
    func unsaved(_ id: ID) -> Timestamp? {
        pending.withLock { $0[id] }
    }

    /// Writes the uses noted since the last flush as the mutation `batch` makes of them inside the store's
    /// commit (`nil`: nothing left to write). On failure the uses are kept for the next flush, merged with
    /// any noted meanwhile.
    func flush(
        through store: BureauStore,
        batch: @Sendable (borrowing StoreState, [ID: Timestamp]) -> Mutation?
    ) async throws {
        let taken = pending.withLock { pending in
            let taken = pending
            pending.removeAll(keepingCapacity: true)
            return taken
        }
        guard !taken.isEmpty else { return }
        do {
            try await store.commit { state, _, _ -> (Mutation?, Void) in (batch(state, taken), ()) }
        } catch {
            pending.withLock { pending in
                for (id, time) in taken where (pending[id].map { $0 < time } ?? true) { pending[id] = time }
            }
            throw error
        }
    }
}
