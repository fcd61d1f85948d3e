import Testing

@testable import BureauAuth

@Suite("System monotonic clock")
struct SystemMonotonicClockTests {
    @Test("starts near zero, never goes back, and keeps pace with ContinuousClock")
    func pace() {
        let started = ContinuousClock.now
        let clock = SystemMonotonicClock()
        let first = clock.nanosecondsNow()
        #expect(first < 1_000_000_000)
        var previous = first
        // Busy for at least 20 ms of ContinuousClock time (no sleeping: reads only).
        while ContinuousClock.now - started < .milliseconds(20) {
            let now = clock.nanosecondsNow()
            #expect(now >= previous)
            previous = now
        }
        let last = clock.nanosecondsNow()
        let elapsed = ContinuousClock.now - started
        let measured = Duration.nanoseconds(Int64(last - first))
        // Both read the same system clock, and this clock's interval lies inside ContinuousClock's.
        #expect(measured <= elapsed)
        #expect(measured >= .milliseconds(15))
    }
}
