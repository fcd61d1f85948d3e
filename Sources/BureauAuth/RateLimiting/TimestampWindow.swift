/// The times of one key's recent events (successes, or failures), oldest first, for an exact sliding window.
///
/// Storage grows only as far as the key uses it: a single event is kept inline (no allocation, which is
/// what most of a million one-off client addresses need), more go to a ring buffer that doubles up to the
/// limit and never beyond, since events past the limit are refused rather than stored.
struct TimestampWindow: Sendable {
    /// The only event while `ring` is empty and `count` is 1.
    private var inline: UInt64 = 0
    /// Ring storage once a second event arrives; `capacity` is `ring.count`.
    private var ring: [UInt64] = []
    /// Index of the oldest event in `ring`.
    private var head: Int32 = 0
    /// Events held.
    private(set) var count: Int32 = 0

    /// An empty window.
    init() {}

    /// Whether no event is held.
    var isEmpty: Bool { count == 0 }

    /// The oldest event held.
    var oldest: UInt64? {
        guard count > 0 else { return nil }
        return ring.isEmpty ? inline : ring[Int(head)]
    }

    /// The newest event held.
    var newest: UInt64? {
        guard count > 0 else { return nil }
        return ring.isEmpty ? inline : ring[(Int(head) + Int(count) - 1) % ring.count]
    }

    /// Forgets events that have left the window at `now`: an event at `t` counts while `now - t < window`.
    mutating func removeExpired(now: UInt64, window: UInt64) {
        while let oldest, RateLimitTime.elapsed(from: oldest, to: now) >= window {
            removeOldest()
        }
    }

    /// How long after `now` the oldest event leaves the window (zero if it already has).
    func timeUntilOldestLeaves(now: UInt64, window: UInt64) -> UInt64 {
        guard let oldest else { return 0 }
        let leaves = oldest.addingReportingOverflow(window)
        return leaves.overflow ? .max : RateLimitTime.elapsed(from: now, to: leaves.partialValue)
    }

    /// Records an event; the caller ensures `count < limit`. Capacity doubles up to `limit` as needed.
    mutating func append(_ time: UInt64, limit: Int) {
        if count == 0 && ring.isEmpty {
            inline = time
            count = 1
            return
        }
        if ring.isEmpty || Int(count) == ring.count {
            grow(limit: limit)
        }
        ring[(Int(head) + Int(count)) % ring.count] = time
        count += 1
    }

    /// Empties the window and releases its storage.
    mutating func removeAll() {
        self = TimestampWindow()
    }

    /// Releases unused ring storage (after a burst has drained): keeps exactly what is held.
    mutating func compact() {
        guard !ring.isEmpty, Int(count) * 4 <= ring.count else { return }
        let held = orderedEvents()
        self = TimestampWindow()
        if held.count == 1 {
            inline = held[0]
            count = 1
        } else if !held.isEmpty {
            ring = held
            count = Int32(held.count)
        }
    }

    /// The events held, oldest first.
    func orderedEvents() -> [UInt64] {
        guard count > 0 else { return [] }
        if ring.isEmpty { return [inline] }
        return (0..<Int(count)).map { ring[(Int(head) + $0) % ring.count] }
    }

    private mutating func removeOldest() {
        guard count > 0 else { return }
        count -= 1
        if ring.isEmpty || count == 0 {
            head = 0
            return
        }
        head = Int32((Int(head) + 1) % ring.count)
    }

    private mutating func grow(limit: Int) {
        let held = orderedEvents()
        let capacity = min(max(limit, 2), max(2, ring.count * 2))
        precondition(capacity > held.count, "a window never holds more events than its limit")
        var storage = [UInt64](repeating: 0, count: capacity)
        storage.replaceSubrange(0..<held.count, with: held)
        ring = storage
        head = 0
    }
}
