import BureauTestSupport
import Logging
import Testing

@testable import BureauAuth

/// Failure slots taken before a key check, so concurrent checks cannot outrun the limit.
@Suite("Failed API-key blocker: slots for key checks")
struct FailedAuthSlotTests {
    let clock = ManualMonotonicClock(nanoseconds: 5_000_000_000)

    private func blocker(limit: Int = 3, maxClients: Int = 1_000, shards: Int = 4) -> FailedAuthBlocker {
        FailedAuthBlocker(
            limit: limit,
            windowSeconds: 60,
            blockSeconds: 300,
            maxBlockSeconds: 3600,
            maxTrackedClients: maxClients,
            shardCount: shards,
            clock: clock,
            logger: Logger(label: "test")
        )
    }

    private let client = ClientKey(IPAddress("192.0.2.1")!)

    @Test("checks under way and failures together never exceed the limit")
    func slotsCapChecks() {
        let blocker = blocker(limit: 3)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 10) == .granted)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 10) == .granted)
        #expect(blocker.recordFailure(from: client) == .counted(failures: 1))
        // Two under way plus one failure: the limit is reached before any check has failed.
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 10) == .refused(retryAfterSeconds: 60))
        // A right key gives its slot back.
        #expect(blocker.finishCheck(for: client, succeeded: true) == .ignored)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 10) == .granted)
        // Wrong keys turn their slots into failures; the limit-th blocks.
        #expect(blocker.finishCheck(for: client, succeeded: false) == .counted(failures: 2))
        #expect(blocker.finishCheck(for: client, succeeded: false) == .blocked(failures: 3, seconds: 300))
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 10) == .refused(retryAfterSeconds: 300))
        #expect(blocker.clientsCheckingKeys == 0)
    }

    @Test("at most `maxConcurrent` checks at once per client; others are not held up")
    func perClientConcurrency() {
        let blocker = blocker(limit: 10)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 2) == .granted)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 2) == .granted)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 2) == .refused(retryAfterSeconds: 1))
        #expect(blocker.reserveCheck(for: ClientKey(IPAddress("192.0.2.2")!), maxConcurrent: 2) == .granted)
        blocker.finishCheck(for: client, succeeded: true)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 2) == .granted)
    }

    @Test("a client with checks under way is neither swept nor evicted")
    func heldSlotsSurvive() {
        let blocker = blocker(limit: 10, maxClients: 2, shards: 1)
        #expect(blocker.reserveCheck(for: client, maxConcurrent: 2) == .granted)
        clock.advance(by: .seconds(7200))
        #expect(blocker.sweep() == 0)
        for index in 2..<20 { blocker.recordFailure(from: ClientKey(IPAddress("192.0.2.\(index)")!)) }
        #expect(blocker.clientsCheckingKeys == 1)
        #expect(blocker.finishCheck(for: client, succeeded: false) == .counted(failures: 1))
    }

    @Test("a table full of blocks refuses a newcomer's check (fails closed)")
    func fullTableRefuses() {
        let blocker = blocker(limit: 1, maxClients: 2, shards: 1)
        for index in 1...2 { #expect(blocker.recordFailure(from: ClientKey(IPAddress("192.0.2.\(index)")!)) == .blocked(failures: 1, seconds: 300)) }
        let newcomer = ClientKey(IPAddress("198.51.100.1")!)
        #expect(blocker.reserveCheck(for: newcomer, maxConcurrent: 2) == .refused(retryAfterSeconds: 300))
        #expect(blocker.recordFailure(from: newcomer) == .untracked)
        #expect(blocker.activeBlockCount == 2)
    }
}
