import BureauStore
import Synchronization

/// What a ledger keeps of one credential's uses since the last flush: a later batch of uses can be folded
/// into an earlier one (a failed flush's uses are kept, merged with those noted meanwhile).
protocol UsageEntry: Sendable {
    /// Folds `later` (noted after this) into this entry.
    mutating func absorb(_ later: Self)
}

/// A session's latest use: the later time wins.
extension Timestamp: UsageEntry {
    mutating func absorb(_ later: Timestamp) {
        if later > self { self = later }
    }
}

/// The uses of each of a kind of credential (API keys, sessions) since the last flush, kept in memory so
/// that noting a use costs a request one short lock, and written through the store in batches.
///
/// Shared by ``KeyUsageRecorder`` and ``SessionUsageRecorder``, which differ in what they keep of a use
/// (the entry) and in the mutation a batch becomes.
final class UsageLedger<ID: Hashable & Sendable, Entry: UsageEntry>: Sendable {
    private let pending = Mutex<[ID: Entry]>([:])

    /// Notes a use: `update` changes the entry of `id` in place, or `make` starts one. One dictionary lookup
    /// for an id already noted since the last flush (nearly every request).
    func note(_ id: ID, make: () -> Entry, update: (inout Entry) -> Void) {
        pending.withLock { pending in
            if let index = pending.index(forKey: id) {
                update(&pending.values[index])
            } else {
                pending[id] = make()
            }
        }
    }

    /// The uses noted for `id` since the last flush, if any.
    func unsaved(_ id: ID) -> Entry? {
        pending.withLock { $0[id] }
    }

    /// Writes the uses noted since the last flush as the mutation `batch` makes of them inside the store's
    /// commit (`nil`: nothing left to write). On failure the uses are kept for the next flush, merged with
    /// any noted meanwhile.
    func flush(
        through store: BureauStore,
        batch: @Sendable (borrowing StoreState, [ID: Entry]) -> Mutation?
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
                for (id, uses) in taken {
                    var restored = uses
                    if let later = pending[id] { restored.absorb(later) }
                    pending[id] = restored
                }
            }
            throw error
        }
    }
}

extension UsageLedger where Entry == Timestamp {
    /// Notes a use at `time`; an older time than the one already noted changes nothing.
    func note(_ id: ID, at time: Timestamp) {
        note(id, make: { time }, update: { $0.absorb(time) })
    }
}
