import Logging
import Synchronization

/// Blocks a client from API-key authentication after too many failed keys, to stop brute force.
///
/// - The `limit`-th failure within any `windowSeconds` blocks the client (10 in 60 s by default; the
///   failure that reaches the limit imposes the block, the next request is refused).
/// - The first block lasts `blockSeconds`; each further block of the same offence streak doubles, up to
///   `maxBlockSeconds`.
/// - The streak ends after a quiet period: when `maxBlockSeconds` pass after a block ended without a new
///   block, the next block is again `blockSeconds` long.
/// - Callers ask ``check(_:)`` **before** looking at the presented key, so a blocked client's keys, valid or
///   not, cost no lookup and no hash.
/// - Each block is logged once, at warning level, with the client, the failure count and the duration
///   (never a key), and counted in ``counters``.
///
/// Clients are IPv4 addresses or IPv6 /64s (``ClientKey``). At most `maxTrackedClients` are remembered;
/// a full table drops idle and least recently active records first and never an active block.
public final class FailedAuthBlocker: Sendable {
    /// Whether a client may authenticate with an API key now.
    public enum Permission: Sendable, Equatable {
        /// Check the key.
        case permitted
        /// Refuse without checking; the block ends in `retryAfterSeconds` (rounded up, at least 1).
        case blocked(retryAfterSeconds: Int)
    }

    /// What recording a failure led to.
    public enum FailureOutcome: Sendable, Equatable {
        /// Counted: `failures` in the current window, below the limit.
        case counted(failures: Int)
        /// This failure reached the limit: the client is now blocked for `seconds`.
        case blocked(failures: Int, seconds: Int)
        /// Not counted: blocking is off, or the client is already blocked.
        case ignored
        /// Not counted because no room is left to track the client (every record of its shard is an active
        /// block or has checks under way): callers treat the client as blocked, so a full table fails closed.
        case untracked
    }

    /// Counts since start, for metrics.
    public struct Counters: Sendable, Equatable {
        /// Failed API-key attempts counted.
        public var failuresRecorded: UInt64
        /// Blocks imposed.
        public var blocksImposed: UInt64
        /// Requests refused because their client was blocked.
        public var requestsRefused: UInt64
        /// Failures not counted because every record of the client's shard was an active block.
        public var failuresUntracked: UInt64
        /// Records of clients (never actively blocked) dropped to respect the cap.
        public var recordsEvicted: UInt64
    }

    /// Failures per window that trigger a block; 0 switches blocking off.
    public let limit: Int
    /// Length of the failure window in seconds.
    public let windowSeconds: Int
    /// Duration of a first block in seconds.
    public let blockSeconds: Int
    /// Longest block in seconds, and the quiet period that ends an offence streak.
    public let maxBlockSeconds: Int
    let clock: any MonotonicClock
    private let logger: Logger
    let table: ClientStateTable<ClientKey, FailedAuthRecord>
    private let failuresRecorded = Atomic<UInt64>(0)
    private let blocksImposed = Atomic<UInt64>(0)
    let requestsRefused = Atomic<UInt64>(0)
    let failuresUntracked = Atomic<UInt64>(0)

    /// A blocker with the given thresholds (`limit` 0: off), remembering at most `maxTrackedClients` clients.
    public init(
        limit: Int,
        windowSeconds: Int,
        blockSeconds: Int,
        maxBlockSeconds: Int,
        maxTrackedClients: Int = 1_000_000,
        shardCount: Int = 16,
        clock: any MonotonicClock = SystemMonotonicClock(),
        logger: Logger
    ) {
        precondition(limit >= 0 && limit <= Int(Int32.max), "limit must be 0 (off) or positive")
        precondition(windowSeconds >= 1 && blockSeconds >= 1 && maxBlockSeconds >= 1, "durations must be at least one second")
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.blockSeconds = blockSeconds
        self.maxBlockSeconds = maxBlockSeconds
        self.clock = clock
        self.logger = logger
        let window = RateLimitTime.nanoseconds(seconds: windowSeconds)
        self.table = ClientStateTable(
            maxEntries: maxTrackedClients,
            shardCount: shardCount,
            makeState: { FailedAuthRecord() },
            prune: { record, now in record.prune(now: now, window: window) },
            evictionRank: { record, now in record.evictionRank(now: now) }
        )
    }

    /// Whether blocking is switched off.
    public var isOff: Bool { limit == 0 }

    /// Whether `client` may have its API key checked now. A refusal is counted in ``counters``.
    public func check(_ client: ClientKey) -> Permission {
        // No client has failed lately (the usual case): nothing to look up, not even the time.
        guard !isOff, !table.isEmpty else { return .permitted }
        let now = clock.nanosecondsNow()
        let remaining = table.withState(for: client, now: now, create: false) { record -> UInt64? in
            record.isBlocked(at: now) ? record.blockedUntil - now : nil
        }
        guard let remaining = remaining ?? nil else { return .permitted }
        requestsRefused.add(1, ordering: .relaxed)
        return .blocked(retryAfterSeconds: max(RateLimitTime.secondsRoundedUp(remaining), 1))
    }

    /// Records that `client` presented an API key that did not authenticate; blocks it at the limit.
    @discardableResult
    public func recordFailure(from client: ClientKey) -> FailureOutcome {
        guard !isOff else { return .ignored }
        let now = clock.nanosecondsNow()
        let outcome = table.withState(for: client, now: now, create: true) { record in
            countFailure(in: &record, now: now)
        }
        return account(outcome ?? .untracked, client: client)
    }

    /// Adds a failure at `now` to `record` (pruned first), imposing a block at the limit.
    func countFailure(in record: inout FailedAuthRecord, now: UInt64) -> FailureOutcome {
        _ = record.prune(now: now, window: RateLimitTime.nanoseconds(seconds: windowSeconds))
        guard !record.isBlocked(at: now) else { return .ignored }
        record.failures.append(now, limit: limit)
        let failures = Int(record.failures.count)
        guard failures >= limit else { return .counted(failures: failures) }
        let seconds = record.imposeBlock(now: now, baseSeconds: blockSeconds, maxSeconds: maxBlockSeconds)
        return .blocked(failures: failures, seconds: seconds)
    }

    /// Updates the counters for `outcome` (and logs a new block), returning it.
    func account(_ outcome: FailureOutcome, client: ClientKey) -> FailureOutcome {
        switch outcome {
        case .untracked:
            failuresUntracked.add(1, ordering: .relaxed)
        case .counted:
            failuresRecorded.add(1, ordering: .relaxed)
        case .blocked(let failures, let seconds):
            failuresRecorded.add(1, ordering: .relaxed)
            blocksImposed.add(1, ordering: .relaxed)
            logger.warning(
                "client blocked from API-key authentication after repeated failures",
                metadata: ["client": "\(client)", "failures": "\(failures)", "block_seconds": "\(seconds)"]
            )
        case .ignored:
            break
        }
        return outcome
    }

    /// Drops records with nothing left to remember (no recent failure, no block, no offence streak);
    /// returns how many.
    @discardableResult
    public func sweep() -> Int {
        table.sweep(now: clock.nanosecondsNow())
    }

    /// Clients currently remembered.
    public var trackedClientCount: Int { table.count }

    /// Clients blocked right now (a full scan: for metrics scrapes and tests, not per request).
    public var activeBlockCount: Int {
        let now = clock.nanosecondsNow()
        return table.countEntries { $0.isBlocked(at: now) }
    }

    /// Counts since start.
    public var counters: Counters {
        Counters(
            failuresRecorded: failuresRecorded.load(ordering: .relaxed),
            blocksImposed: blocksImposed.load(ordering: .relaxed),
            requestsRefused: requestsRefused.load(ordering: .relaxed),
            failuresUntracked: failuresUntracked.load(ordering: .relaxed),
            recordsEvicted: table.evictedCount
        )
    }
}
