import Synchronization

/// What a limiter answers for one request.
public enum RateLimitDecision: Sendable, Equatable {
    /// No limit applies (switched off, or the client is exempt): the response carries no limit fields.
    case unlimited
    /// The request counts and may proceed. `remaining` more would be allowed right now; one more slot frees
    /// in `resetSeconds` (whole seconds, rounded up, at least 1).
    case allowed(remaining: Int, resetSeconds: Int)
    /// Refused, not counted. A slot frees in `retryAfterSeconds` (whole seconds, rounded up, at least 1):
    /// the `Retry-After` value and the `t` of the limit field.
    case denied(retryAfterSeconds: Int)
}

/// An exact sliding-window limit: never more than `limit` successes for one key in any span of `window`
/// seconds, wherever the span starts. No fixed windows (which allow a double burst at the boundary) and no
/// token-bucket approximation: each key keeps the times of its successes in the current window.
///
/// A success at time `s` occupies its slot until `s + window` exactly; denied requests are not recorded, so
/// a refused client that waits the announced seconds gets through. Memory per key is what it uses (see
/// ``TimestampWindow``), keys whose window is empty are dropped by ``sweep()``, and at most
/// `maxTrackedKeys` are held: when full, the keys idle the longest are evicted (forgetting their recent
/// successes, the only way the limit can be exceeded; it takes more active keys than the cap).
public final class SlidingWindowLimiter<Key: Hashable & Sendable>: Sendable {
    /// Successes allowed per key per window; 0 switches the limit off.
    public let limit: Int
    /// Length of the window in seconds.
    public let windowSeconds: Int
    private let window: UInt64
    private let clock: any MonotonicClock
    private let table: ClientStateTable<Key, TimestampWindow>
    private let allowedCounter = Atomic<UInt64>(0)
    private let deniedCounter = Atomic<UInt64>(0)

    /// Counts since start, for metrics.
    public struct Counters: Sendable, Equatable {
        /// Requests allowed (and counted).
        public var allowed: UInt64
        /// Requests refused.
        public var denied: UInt64
        /// Keys dropped to respect the cap while their window still held successes.
        public var evicted: UInt64
    }

    /// A limiter of `limit` successes per `windowSeconds` per key (`limit` 0: off), tracking at most
    /// `maxTrackedKeys` keys in `shardCount` independently locked shards, reading time from `clock`.
    public init(
        limit: Int,
        windowSeconds: Int,
        maxTrackedKeys: Int = 1_000_000,
        shardCount: Int = 16,
        clock: any MonotonicClock = SystemMonotonicClock()
    ) {
        precondition(limit >= 0 && limit <= Int(Int32.max), "limit must be 0 (off) or positive")
        precondition(windowSeconds >= 1, "the window must be at least one second")
        self.limit = limit
        self.windowSeconds = windowSeconds
        let window = RateLimitTime.nanoseconds(seconds: windowSeconds)
        self.window = window
        self.clock = clock
        self.table = ClientStateTable(
            maxEntries: maxTrackedKeys,
            shardCount: shardCount,
            makeState: { TimestampWindow() },
            prune: { events, now in
                events.removeExpired(now: now, window: window)
                events.compact()
                return events.isEmpty
            },
            evictionRank: { events, _ in events.newest ?? 0 }
        )
    }

    /// Whether the limit is switched off.
    public var isOff: Bool { limit == 0 }

    /// Counts a request for `key` if a slot is free now, and says so.
    public func acquire(_ key: Key) -> RateLimitDecision {
        guard !isOff else { return .unlimited }
        let now = clock.nanosecondsNow()
        let decision = table.withState(for: key, now: now, create: true) { events in
            events.removeExpired(now: now, window: window)
            guard Int(events.count) < limit else {
                let wait = events.timeUntilOldestLeaves(now: now, window: window)
                return RateLimitDecision.denied(retryAfterSeconds: max(RateLimitTime.secondsRoundedUp(wait), 1))
            }
            events.append(now, limit: limit)
            let wait = events.timeUntilOldestLeaves(now: now, window: window)
            return .allowed(remaining: limit - Int(events.count), resetSeconds: max(RateLimitTime.secondsRoundedUp(wait), 1))
        }
        // Every entry has a rank, so a full shard always makes room; should it not, the request is not refused.
        let result = decision ?? .allowed(remaining: limit - 1, resetSeconds: windowSeconds)
        if case .denied = result {
            deniedCounter.add(1, ordering: .relaxed)
        } else {
            allowedCounter.add(1, ordering: .relaxed)
        }
        return result
    }

    /// Drops keys with no success left in the window; returns how many.
    @discardableResult
    public func sweep() -> Int {
        table.sweep(now: clock.nanosecondsNow())
    }

    /// Keys currently held.
    public var trackedKeyCount: Int { table.count }

    /// Counts since start.
    public var counters: Counters {
        Counters(
            allowed: allowedCounter.load(ordering: .relaxed),
            denied: deniedCounter.load(ordering: .relaxed),
            evicted: table.evictedCount
        )
    }
}
