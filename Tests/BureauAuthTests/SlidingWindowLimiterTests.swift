import BureauTestSupport
import Testing

@testable import BureauAuth

@Suite("Sliding-window limiter")
struct SlidingWindowLimiterTests {
    let clock = ManualMonotonicClock(nanoseconds: 1_000)

    private func limiter(limit: Int = 120, window: Int = 60, maxKeys: Int = 1_000, shards: Int = 4) -> SlidingWindowLimiter<String> {
        SlidingWindowLimiter(limit: limit, windowSeconds: window, maxTrackedKeys: maxKeys, shardCount: shards, clock: clock)
    }

    @Test("120 requests in a burst pass, the 121st is refused until the oldest leaves the window")
    func burstAtTheLimit() {
        let limiter = limiter()
        for index in 1...120 {
            #expect(limiter.acquire("alice") == .allowed(remaining: 120 - index, resetSeconds: 60))
        }
        #expect(limiter.acquire("alice") == .denied(retryAfterSeconds: 60))
        clock.advance(by: .seconds(59))
        #expect(limiter.acquire("alice") == .denied(retryAfterSeconds: 1))
        clock.advance(by: .nanoseconds(999_999_999))
        #expect(limiter.acquire("alice") == .denied(retryAfterSeconds: 1))
        clock.advance(by: .nanoseconds(1))
        // Exactly 60 s after the burst all 120 slots free at once: the burst is a single instant.
        #expect(limiter.acquire("alice") == .allowed(remaining: 119, resetSeconds: 60))
        #expect(limiter.counters == .init(allowed: 121, denied: 3, evicted: 0))
    }

    @Test("a slot frees exactly when the oldest success leaves the window, one at a time")
    func slotsFreeOneByOne() {
        let limiter = limiter(limit: 3, window: 10)
        #expect(limiter.acquire("k") == .allowed(remaining: 2, resetSeconds: 10))
        clock.advance(by: .seconds(2))
        #expect(limiter.acquire("k") == .allowed(remaining: 1, resetSeconds: 8))
        clock.advance(by: .milliseconds(2_500))
        #expect(limiter.acquire("k") == .allowed(remaining: 0, resetSeconds: 6))
        // t=4.5 s: the oldest (t=0) leaves at t=10 s: 5.5 s away, announced as 6.
        #expect(limiter.acquire("k") == .denied(retryAfterSeconds: 6))
        clock.advance(by: .milliseconds(5_499))
        #expect(limiter.acquire("k") == .denied(retryAfterSeconds: 1))
        clock.advance(by: .milliseconds(1))
        #expect(limiter.acquire("k") == .allowed(remaining: 0, resetSeconds: 2))
        #expect(limiter.acquire("k") == .denied(retryAfterSeconds: 2))
    }

    @Test("no boundary burst: 120 at the end of a minute leave nothing for the start of the next")
    func noBoundaryBurst() {
        let limiter = limiter()
        clock.advance(by: .seconds(59))
        for index in 1...120 { #expect(limiter.acquire("bob") == .allowed(remaining: 120 - index, resetSeconds: 60)) }
        clock.advance(by: .seconds(2))
        #expect(limiter.acquire("bob") == .denied(retryAfterSeconds: 58))
    }

    @Test("keys are independent")
    func independentKeys() {
        let limiter = limiter(limit: 1, window: 60)
        #expect(limiter.acquire("a") == .allowed(remaining: 0, resetSeconds: 60))
        #expect(limiter.acquire("b") == .allowed(remaining: 0, resetSeconds: 60))
        #expect(limiter.acquire("a") == .denied(retryAfterSeconds: 60))
    }

    @Test("limit 0 switches the limiter off and tracks nothing")
    func off() {
        let limiter = limiter(limit: 0)
        for _ in 0..<500 { #expect(limiter.acquire("a") == .unlimited) }
        #expect(limiter.trackedKeyCount == 0)
    }

    @Test("idle keys expire on sweep, active ones stay")
    func idleExpiry() {
        let limiter = limiter(limit: 5, window: 60)
        for key in 0..<100 { _ = limiter.acquire("key-\(key)") }
        clock.advance(by: .seconds(30))
        _ = limiter.acquire("key-0")
        #expect(limiter.sweep() == 0)
        clock.advance(by: .seconds(30))
        #expect(limiter.sweep() == 99)
        #expect(limiter.trackedKeyCount == 1)
        clock.advance(by: .seconds(30))
        #expect(limiter.sweep() == 1)
        #expect(limiter.trackedKeyCount == 0)
    }

    @Test("the key cap holds, evicting the keys idle the longest")
    func cap() {
        let limiter = limiter(limit: 5, window: 60, maxKeys: 16, shards: 1)
        for key in 0..<16 {
            _ = limiter.acquire("key-\(key)")
            clock.advance(by: .milliseconds(10))
        }
        _ = limiter.acquire("key-0")
        #expect(limiter.trackedKeyCount == 16)
        _ = limiter.acquire("newcomer")
        // A full shard evicts down to 7/8 (14) before the newcomer: the two least recently active went.
        #expect(limiter.trackedKeyCount == 15)
        #expect(limiter.counters.evicted == 2)
        #expect(limiter.acquire("key-0") == .allowed(remaining: 2, resetSeconds: 60))
        #expect(limiter.acquire("key-1") == .allowed(remaining: 4, resetSeconds: 60))
        for key in 0..<10_000 { _ = limiter.acquire("flood-\(key)") }
        #expect(limiter.trackedKeyCount <= 16)
    }

    @Test("a window's storage grows with use and shrinks once drained")
    func storage() {
        var window = TimestampWindow()
        for time in UInt64(0)..<100 { window.append(time, limit: 100) }
        #expect(window.count == 100 && window.oldest == 0 && window.newest == 99)
        window.removeExpired(now: 150, window: 60)
        #expect(window.oldest == 91 && window.count == 9)
        window.compact()
        #expect(window.orderedEvents() == Array(91..<100))
        window.removeExpired(now: 158, window: 60)
        window.compact()
        #expect(window.orderedEvents() == [99])
        window.append(200, limit: 100)
        window.append(201, limit: 100)
        #expect(window.orderedEvents() == [99, 200, 201])
    }
}
