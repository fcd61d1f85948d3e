import Synchronization

/// Per-key limiter state with a hard cap on the number of keys, split into shards that each have their own
/// `Mutex`, so requests for different keys rarely wait for one another and no lock is held for long.
///
/// Memory stays bounded two ways: entries the owner calls idle are dropped by ``sweep(now:)`` (and whenever
/// a full shard needs room), and when a shard is still full the entries with the lowest eviction rank go
/// first, down to seven eighths of the shard, so one pass makes room for many newcomers. An entry whose rank
/// is `nil` (an active block) is never evicted: a newcomer that finds no room is simply not tracked.
final class ClientStateTable<Key: Hashable & Sendable, State: Sendable>: Sendable {
    /// One shard: its entries behind its own lock.
    private final class Shard: Sendable {
        let entries = Mutex<[Key: State]>([:])
    }

    private let shards: [Shard]
    /// Most entries one shard holds; all shards together hold at most `maxEntries` given at creation.
    let capacityPerShard: Int
    /// A new entry.
    private let makeState: @Sendable () -> State
    /// Drops what has expired at the given time from an entry; returns whether nothing is left worth keeping.
    private let prune: @Sendable (inout State, UInt64) -> Bool
    /// Lower is evicted first; `nil` never is.
    private let evictionRank: @Sendable (State, UInt64) -> UInt64?
    private let evictedCounter = Atomic<UInt64>(0)
    /// Entries held across all shards, kept as they come and go (changed under the shard's lock, after the
    /// change): lets ``isEmpty`` answer without taking any lock.
    private let entryCount = Atomic<Int>(0)

    /// A table holding at most `maxEntries` keys in `shardCount` shards (fewer shards if `maxEntries` is small).
    init(
        maxEntries: Int,
        shardCount: Int,
        makeState: @escaping @Sendable () -> State,
        prune: @escaping @Sendable (inout State, UInt64) -> Bool,
        evictionRank: @escaping @Sendable (State, UInt64) -> UInt64?
    ) {
        let maxEntries = max(maxEntries, 1)
        let count = min(max(shardCount, 1), maxEntries)
        shards = (0..<count).map { _ in Shard() }
        capacityPerShard = maxEntries / count
        self.makeState = makeState
        self.prune = prune
        self.evictionRank = evictionRank
    }

    /// Runs `body` on the state of `key` under its shard's lock. A missing key gets a new entry when `create`
    /// is set and there is room (made by pruning or evicting if needed). `nil` when there is no entry.
    func withState<Result: Sendable>(
        for key: Key,
        now: UInt64,
        create: Bool,
        _ body: (inout State) -> Result
    ) -> Result? {
        shard(for: key).entries.withLock { entries -> Result? in
            if let index = entries.index(forKey: key) {
                return body(&entries.values[index])
            }
            guard create, makeRoom(in: &entries, now: now) else { return nil }
            var state = makeState()
            let result = body(&state)
            entries[key] = state
            entryCount.add(1, ordering: .releasing)
            return result
        }
    }

    /// Drops idle entries from every shard and releases storage left over from bursts.
    /// Returns how many entries were dropped.
    @discardableResult
    func sweep(now: UInt64) -> Int {
        shards.reduce(0) { removed, shard in
            removed + shard.entries.withLock { removeIdle(from: &$0, now: now) }
        }
    }

    /// Entries held across all shards.
    var count: Int {
        shards.reduce(0) { total, shard in total + shard.entries.withLock { $0.count } }
    }

    /// Whether no key has an entry: a lookup can be skipped altogether (the common case of a table that
    /// only failures fill). A change made before this is read, by any thread, is seen.
    var isEmpty: Bool { heldCount == 0 }

    /// Entries held, as counted when they come and go (``count`` counts them shard by shard).
    var heldCount: Int { entryCount.load(ordering: .acquiring) }

    /// How many entries with a rank were evicted to make room, since start.
    var evictedCount: UInt64 { evictedCounter.load(ordering: .relaxed) }

    /// Counts the entries of every shard for which `predicate` holds (a full scan, for metrics and tests).
    func countEntries(where predicate: @Sendable (State) -> Bool) -> Int {
        shards.reduce(0) { total, shard in
            total + shard.entries.withLock { entries in entries.values.reduce(0) { $0 + (predicate($1) ? 1 : 0) } }
        }
    }

    private func shard(for key: Key) -> Shard {
        var hasher = Hasher()
        hasher.combine(key)
        let hash = UInt(bitPattern: hasher.finalize())
        return shards[Int(hash % UInt(shards.count))]
    }

    /// Ensures a new entry fits: prunes, then evicts the lowest ranks down to seven eighths of capacity.
    private func makeRoom(in entries: inout [Key: State], now: UInt64) -> Bool {
        guard entries.count >= capacityPerShard else { return true }
        removeIdle(from: &entries, now: now)
        let target = capacityPerShard - max(capacityPerShard / 8, 1)
        if entries.count > target {
            var candidates: [(key: Key, rank: UInt64)] = []
            for (key, state) in entries {
                if let rank = evictionRank(state, now) { candidates.append((key, rank)) }
            }
            candidates.sort { $0.rank < $1.rank }
            let evicted = candidates.prefix(entries.count - target)
            for candidate in evicted { entries.removeValue(forKey: candidate.key) }
            entryCount.subtract(evicted.count, ordering: .releasing)
            evictedCounter.add(UInt64(evicted.count), ordering: .relaxed)
        }
        return entries.count < capacityPerShard
    }

    @discardableResult
    private func removeIdle(from entries: inout [Key: State], now: UInt64) -> Int {
        var idleKeys: [Key] = []
        var index = entries.startIndex
        while index != entries.endIndex {
            if prune(&entries.values[index], now) { idleKeys.append(entries.keys[index]) }
            entries.formIndex(after: &index)
        }
        for key in idleKeys { entries.removeValue(forKey: key) }
        entryCount.subtract(idleKeys.count, ordering: .releasing)
        return idleKeys.count
    }
}
