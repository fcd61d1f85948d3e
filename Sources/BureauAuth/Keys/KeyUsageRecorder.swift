import BureauStore

/// Keeps each key's uses since the last flush in memory (so `lastUsedAt`, the requests per day and the
/// latest client are current in listings at no cost per request beyond one short lock) and persists them
/// in batches through the store, so authentication never waits on the log.
public final class KeyUsageRecorder: Sendable {
    /// The uses of one key since the last flush.
    struct Pending: UsageEntry {
        /// The latest use.
        var at: Timestamp
        /// Its client (formatted only when written: no string per request).
        var client: IPAddress?
        /// The day of the latest use and the uses on it.
        var day: UsageDay
        var count: UInt32
        /// Uses on earlier days, when a flush interval spans midnight (rare: at most a day or two).
        var earlier: [DailyRequests] = []

        init(at time: Timestamp, client: IPAddress?) {
            at = time
            self.client = client
            day = UsageDay(time)
            count = 1
        }

        /// One more use.
        mutating func note(at time: Timestamp, client: IPAddress?) {
            let useDay = UsageDay(time)
            if useDay == day {
                count &+= count == .max ? 0 : 1
            } else if useDay > day {
                earlier.append(DailyRequests(day: day, count: count))
                day = useDay
                count = 1
            } else if let index = earlier.firstIndex(where: { $0.day == useDay }) {
                earlier[index].count &+= earlier[index].count == .max ? 0 : 1
            } else {
                earlier.append(DailyRequests(day: useDay, count: 1))
            }
            if time >= at {
                at = time
                if let client { self.client = client }
            }
        }

        /// `other` (noted later) added to these uses.
        mutating func absorb(_ other: Pending) {
            var merged = KeyUsageHistory(requests: requests, lastClientAddress: nil, at: nil)
            for entry in other.requests { merged.add(entry.count, on: entry.day) }
            let requests = merged.requests
            if let last = requests.last {
                day = last.day
                count = last.count
                earlier = Array(requests.dropLast())
            }
            if other.at >= at {
                at = other.at
                client = other.client ?? client
            }
        }

        /// The uses by day, oldest first.
        var requests: [DailyRequests] {
            (earlier + [DailyRequests(day: day, count: count)]).sorted { $0.day < $1.day }
        }
    }

    private let store: BureauStore
    private let ledger = UsageLedger<APIKeyID, Pending>()

    init(store: BureauStore) {
        self.store = store
    }

    /// Notes a successful use of a key, from `client` when known.
    public func record(_ id: APIKeyID, at time: Timestamp, client: IPAddress? = nil) {
        ledger.note(id, make: { Pending(at: time, client: client) }, update: { $0.note(at: time, client: client) })
    }

    /// The latest use of a key: the unsaved one if newer than what the store holds.
    public func lastUsed(_ record: APIKeyRecord) -> Timestamp? {
        [ledger.unsaved(record.id)?.at, record.lastUsedAt].compactMap { $0 }.max()
    }

    /// The key's usage: what the store holds (`stored`) with the uses not yet written added.
    public func history(of id: APIKeyID, stored: KeyUsageHistory?) -> KeyUsageHistory {
        var history = stored ?? KeyUsageHistory()
        guard let unsaved = ledger.unsaved(id) else { return history }
        for entry in unsaved.requests { history.add(entry.count, on: entry.day) }
        history.noteClient(unsaved.client?.description, at: unsaved.at)
        return history
    }

    /// Writes the uses noted since the last flush (keys revoked meanwhile included: their record remains).
    /// On failure the uses are kept for the next flush, merged with any noted meanwhile.
    public func flush() async throws {
        try await ledger.flush(through: store) { state, batch in
            let uses = batch.filter { state.apiKeys[$0.key] != nil }
                .map { APIKeyUse(id: $0.key, at: $0.value.at, requests: $0.value.requests, client: $0.value.client?.description) }
                .sorted { $0.id.description < $1.id.description }
            return uses.isEmpty ? nil : .apiKeysUsed(uses)
        }
    }
}
