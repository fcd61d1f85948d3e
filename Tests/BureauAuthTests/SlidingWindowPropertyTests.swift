import BureauTestSupport
import Testing

@testable import BureauAuth

@Suite("Sliding-window limiter against a brute-force model")
struct SlidingWindowPropertyTests {
    /// The model: every success of every key, answered by counting those with `now - s < window`.
    private struct Model {
        let limit: Int
        let window: UInt64
        var successes: [String: [UInt64]] = [:]

        mutating func decide(_ key: String, now: UInt64) -> RateLimitDecision {
            let inWindow = successes[key, default: []].filter { now - $0 < window }
            func seconds(_ oldest: UInt64) -> Int { Int((oldest + window - now + 999_999_999) / 1_000_000_000) }
            guard inWindow.count < limit else { return .denied(retryAfterSeconds: seconds(inWindow.min()!)) }
            successes[key, default: []].append(now)
            return .allowed(remaining: limit - inWindow.count - 1, resetSeconds: seconds(inWindow.min() ?? now))
        }
    }

    @Test("decisions equal the model's, and no span of one window ever holds more than the limit", arguments: 1...24)
    func matchesModel(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let limit = seed.isMultiple(of: 6) ? 120 : Int.random(in: 1...8, using: &random)
        let windowSeconds = seed.isMultiple(of: 6) ? 60 : Int.random(in: 1...5, using: &random)
        let window = UInt64(windowSeconds) * 1_000_000_000
        let clock = ManualMonotonicClock()
        let limiter = SlidingWindowLimiter<String>(limit: limit, windowSeconds: windowSeconds, shardCount: 2, clock: clock)
        var model = Model(limit: limit, window: window)
        let keys = ["a", "b", "c"]
        var now: UInt64 = 0

        for step in 0..<4_000 {
            let key = keys.randomElement(using: &random)!
            let target: UInt64
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                target = now
            case 1, 2:
                // Aim at the instant a slot frees, or one nanosecond before it.
                let oldest = model.successes[key, default: []].filter { now - $0 < window }.min() ?? now
                target = max(now, oldest + window - UInt64.random(in: 0...1, using: &random))
            case 3:
                target = now + UInt64.random(in: 0...(window / UInt64(limit * 2 + 1)), using: &random)
            default:
                target = now + UInt64.random(in: 0...(window * 2), using: &random)
            }
            clock.advance(by: .nanoseconds(Int64(target - now)))
            now = target
            let expected = model.decide(key, now: now)
            let actual = limiter.acquire(key)
            guard actual == expected else {
                Issue.record("seed \(seed) step \(step) key \(key): limiter said \(actual), model \(expected)")
                return
            }
        }

        for (key, times) in model.successes {
            let sorted = times.sorted()
            var start = 0
            for end in sorted.indices {
                while sorted[end] - sorted[start] >= window { start += 1 }
                #expect(end - start + 1 <= limit, "key \(key): \(end - start + 1) successes within one window")
            }
        }
        #expect(limiter.counters.allowed == UInt64(model.successes.values.reduce(0) { $0 + $1.count }))
    }
}
