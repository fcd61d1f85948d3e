import BureauTestSupport
import InMemoryLogging
import Logging
import Testing

@testable import BureauAuth

@Suite("Failed API-key blocker")
struct FailedAuthBlockerTests {
    let clock = ManualMonotonicClock(nanoseconds: 5_000_000_000)
    let logs = InMemoryLogHandler()

    private func blocker(limit: Int = 10, maxClients: Int = 1_000, shards: Int = 4) -> FailedAuthBlocker {
        FailedAuthBlocker(
            limit: limit,
            windowSeconds: 60,
            blockSeconds: 300,
            maxBlockSeconds: 3600,
            maxTrackedClients: maxClients,
            shardCount: shards,
            clock: clock,
            logger: Logger(label: "test") { _ in logs }
        )
    }

    private func client(_ text: String) throws -> ClientKey {
        ClientKey(try #require(IPAddress(text)))
    }

    /// Fails `count` times from `client`, `spacing` apart (the clock also moves on after the last one),
    /// returning the last outcome.
    @discardableResult
    private func fail(
        _ blocker: FailedAuthBlocker,
        _ client: ClientKey,
        times count: Int,
        spacing: Duration = .seconds(1)
    ) -> FailedAuthBlocker.FailureOutcome {
        var last = FailedAuthBlocker.FailureOutcome.ignored
        for _ in 0..<count {
            last = blocker.recordFailure(from: client)
            clock.advance(by: spacing)
        }
        return last
    }

    @Test("nine failures are counted; the tenth blocks; the eleventh request is refused unchecked")
    func tenthFailureBlocks() throws {
        let blocker = blocker()
        let attacker = try client("203.0.113.9")
        #expect(fail(blocker, attacker, times: 9) == .counted(failures: 9))
        #expect(blocker.check(attacker) == .permitted)
        #expect(blocker.recordFailure(from: attacker) == .blocked(failures: 10, seconds: 300))
        #expect(blocker.check(attacker) == .blocked(retryAfterSeconds: 300))
        #expect(blocker.check(try client("203.0.113.10")) == .permitted)
        #expect(blocker.recordFailure(from: attacker) == .ignored)
        #expect(blocker.counters == .init(failuresRecorded: 10, blocksImposed: 1, requestsRefused: 1, failuresUntracked: 0, recordsEvicted: 0))
    }

    @Test("each block is logged exactly once, with client, count and duration, never a key")
    func loggedOnce() throws {
        let blocker = blocker()
        let attacker = try client("2001:db8:1:2::99")
        fail(blocker, attacker, times: 10)
        for _ in 0..<5 { _ = blocker.check(attacker) }
        _ = blocker.recordFailure(from: attacker)
        #expect(logs.entries.count == 1)
        let entry = try #require(logs.entries.first)
        #expect(entry.level == .warning)
        #expect(entry.metadata["client"] == "2001:db8:1:2::/64")
        #expect(entry.metadata["failures"] == "10")
        #expect(entry.metadata["block_seconds"] == "300")
        #expect(!"\(entry.message)".contains("lb_k_"))
    }

    @Test("failures spread wider than the window never add up to a block")
    func slowFailuresDoNotBlock() throws {
        let blocker = blocker()
        let client = try client("198.51.100.1")
        for _ in 0..<50 {
            #expect(blocker.recordFailure(from: client) != .blocked(failures: 10, seconds: 300))
            clock.advance(by: .milliseconds(6_700))
        }
        #expect(blocker.check(client) == .permitted)
    }

    @Test("a block ends exactly on time")
    func expiry() throws {
        let blocker = blocker()
        let client = try client("198.51.100.2")
        fail(blocker, client, times: 10)
        // The tenth failure was one second ago.
        clock.advance(by: .seconds(298))
        #expect(blocker.check(client) == .blocked(retryAfterSeconds: 1))
        clock.advance(by: .milliseconds(999))
        #expect(blocker.check(client) == .blocked(retryAfterSeconds: 1))
        clock.advance(by: .milliseconds(1))
        #expect(blocker.check(client) == .permitted)
        #expect(blocker.recordFailure(from: client) == .counted(failures: 1))
    }

    @Test("a repeat offender's block doubles up to the maximum")
    func doubling() throws {
        let blocker = blocker()
        let client = try client("198.51.100.3")
        for expected in [300, 600, 1200, 2400, 3600, 3600] {
            #expect(fail(blocker, client, times: 10, spacing: .zero) == .blocked(failures: 10, seconds: expected))
            clock.advance(by: .seconds(expected - 1))
            #expect(blocker.check(client) == .blocked(retryAfterSeconds: 1))
            clock.advance(by: .seconds(1))
            #expect(blocker.check(client) == .permitted)
        }
        #expect(blocker.counters.blocksImposed == 6)
    }

    @Test("the offence streak ends after a quiet period of the maximum block")
    func streakReset() throws {
        let blocker = blocker()
        let client = try client("198.51.100.4")
        fail(blocker, client, times: 10, spacing: .zero)
        // One second before the quiet period after the first block (300 s) ends: still a repeat offender.
        clock.advance(by: .seconds(300 + 3599))
        #expect(fail(blocker, client, times: 10, spacing: .zero) == .blocked(failures: 10, seconds: 600))
        // Exactly when the quiet period after the second block ends: back to the first duration.
        clock.advance(by: .seconds(600 + 3600))
        #expect(fail(blocker, client, times: 10, spacing: .zero) == .blocked(failures: 10, seconds: 300))
    }

    @Test("an IPv6 block covers the client's /64")
    func ipv6Block() throws {
        let blocker = blocker()
        for suffix in 1...10 {
            blocker.recordFailure(from: try client("2001:db8:5:6::\(suffix)"))
        }
        #expect(blocker.check(try client("2001:db8:5:6:ffff::1")) == .blocked(retryAfterSeconds: 300))
        #expect(blocker.check(try client("2001:db8:5:7::1")) == .permitted)
    }

    @Test("limit 0 switches blocking off")
    func off() throws {
        let blocker = blocker(limit: 0)
        let client = try client("198.51.100.5")
        #expect(fail(blocker, client, times: 100) == .ignored)
        #expect(blocker.check(client) == .permitted)
        #expect(blocker.trackedClientCount == 0)
    }

    @Test("idle records expire; offence history is kept until its quiet period ends")
    func idleExpiry() throws {
        let blocker = blocker()
        fail(blocker, try client("198.51.100.6"), times: 3)
        fail(blocker, try client("198.51.100.7"), times: 10)
        #expect(blocker.trackedClientCount == 2)
        clock.advance(by: .seconds(60))
        #expect(blocker.sweep() == 1)
        clock.advance(by: .seconds(290 + 3600))
        #expect(blocker.sweep() == 1)
        #expect(blocker.trackedClientCount == 0)
    }

    @Test("the memory cap never drops an active block")
    func capKeepsBlocks() throws {
        let blocker = blocker(maxClients: 8, shards: 1)
        let blocked = try (1...8).map { try client("192.0.2.\($0)") }
        for client in blocked { blocker.recordFailure(from: client) }
        for client in blocked[..<6] { fail(blocker, client, times: 9) }
        #expect(blocker.activeBlockCount == 6)
        // A flood of one-off failures from new addresses pushes out only the two unblocked records.
        for index in 0..<1_000 {
            blocker.recordFailure(from: try client("198.51.\(index / 250).\(index % 250)"))
        }
        #expect(blocker.trackedClientCount <= 8)
        #expect(blocker.activeBlockCount == 6)
        for client in blocked[..<6] {
            guard case .blocked = blocker.check(client) else {
                Issue.record("block of \(client) lost")
                continue
            }
        }
        #expect(blocker.counters.recordsEvicted > 0)
    }

    @Test("a table full of active blocks leaves newcomers untracked (callers treat them as blocked) rather than dropping a block")
    func capFullOfBlocks() throws {
        let blocker = blocker(limit: 1, maxClients: 4, shards: 1)
        let blocked = try (1...4).map { try client("192.0.2.\($0)") }
        for client in blocked { #expect(blocker.recordFailure(from: client) == .blocked(failures: 1, seconds: 300)) }
        #expect(blocker.recordFailure(from: try client("192.0.2.200")) == .untracked)
        #expect(blocker.counters.failuresUntracked == 1)
        #expect(blocker.activeBlockCount == 4)
        clock.advance(by: .seconds(300))
        #expect(blocker.recordFailure(from: try client("192.0.2.200")) == .blocked(failures: 1, seconds: 300))
    }
}
