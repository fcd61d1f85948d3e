import BureauAuth
import BureauServer
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite("Key usage over HTTP: GET /api/auth/api-keys/{id}, the listing's usage and unused flag, the sweep")
struct KeyUsageHTTPTests {
    static let day: Int64 = 86_400_000

    /// A harness whose requests choose their client address with `X-Forwarded-For` (in-process requests
    /// come from `::`, trusted here).
    private func harness(time: SettableTime, configure: (inout ServerSettings) -> Void = { _ in }) -> TestHarness {
        var settings = TestHarness.settings
        settings.rateLimits.trustedProxies = [IPNetwork("::/128")!]
        configure(&settings)
        return TestHarness(settings: settings, now: { time.now })
    }

    private func from(_ address: String) -> HTTPFields { [.xForwardedFor: address] }

    @Test("requests per UTC day over the last 30 days and the latest client, the same before and after the batch is written")
    func usageOfOneKey() async throws {
        let time = SettableTime()
        let harness = harness(time: time)
        let (user, watcher) = try await harness.account("ada@example.com")
        let created = try await harness.services.operations.createAPIKey(NewAPIKey(name: "ci"), by: .operator(user))
        let (used, id) = (created.plaintext, created.record.id.description)
        try await harness.application.test(.router) { client in
            var fresh = try await client.send(.get, "/api/auth/api-keys/\(id)", key: watcher)
            #expect(fresh.status == .ok)
            var usage = try #require(fresh.object["usage"] as? [String: Any])
            #expect((usage["days"] as? [Int]) == Array(repeating: 0, count: 30))
            #expect(usage["lastClientAddress"] is NSNull)
            #expect(fresh.object["unused"] as? Bool == false)

            for _ in 0..<3 { #expect(try await client.send(.get, "/api/desktops", key: used, headers: from("203.0.113.7")).status == .ok) }
            // Refused requests are not uses.
            #expect(try await client.send(.get, "/api/desktops", key: String(used.dropLast()) + "x").status == .unauthorized)
            time.advance(milliseconds: Self.day)
            for _ in 0..<2 { #expect(try await client.send(.get, "/api/desktops", key: used, headers: from("2001:db8::7")).status == .ok) }

            for flushed in [false, true] {
                if flushed { try await harness.services.verifier.usage.flush() }
                fresh = try await client.send(.get, "/api/auth/api-keys/\(id)", key: watcher)
                usage = try #require(fresh.object["usage"] as? [String: Any])
                let days = try #require(usage["days"] as? [Int])
                #expect(days.count == 30)
                #expect(Array(days.suffix(2)) == [3, 2] && days.reduce(0, +) == 5, "flushed: \(flushed)")
                #expect(usage["lastClientAddress"] as? String == "2001:db8::7")
                let today = UsageDay(time.now)
                #expect(usage["firstDay"] as? String == UsageDay(number: today.number - 29).description)
                #expect(fresh.object["lastUsedAt"] as? String == time.now.rfc3339)
            }
            #expect(harness.store.read { $0.keyUsage[created.record.id]?.window(endingOn: UsageDay(time.now)).reduce(0, +) } == 5)

            // The listing shows the same usage.
            let listed = try await client.send(.get, "/api/auth/api-keys", key: watcher).items.first { $0["id"] as? String == id }
            #expect(((listed?["usage"] as? [String: Any])?["days"] as? [Int])?.suffix(2) == [3, 2])

            // 29 days on, the first day has left the window.
            time.advance(milliseconds: 29 * Self.day)
            fresh = try await client.send(.get, "/api/auth/api-keys/\(id)", key: watcher)
            #expect(((fresh.object["usage"] as? [String: Any])?["days"] as? [Int])?.reduce(0, +) == 2)
        }
    }

    @Test("200 concurrent requests with one key, racing a flush: each counted once, none lost, none twice")
    func concurrentUsesCountedOnce() async throws {
        let time = SettableTime()
        let harness = harness(time: time)
        let (user, watcher) = try await harness.account("ada@example.com")
        let created = try await harness.services.operations.createAPIKey(NewAPIKey(name: "load"), by: .operator(user))
        try await harness.application.test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await client.send(.get, "/api/desktops", key: created.plaintext, headers: from("198.51.100.\(index % 250)")).status
                    }
                    if index == 100 {
                        group.addTask {
                            try await harness.services.verifier.usage.flush()
                            return .ok
                        }
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            try await harness.services.verifier.usage.flush()
            let shown = try await client.send(.get, "/api/auth/api-keys/\(created.record.id)", key: watcher)
            let days = try #require((shown.object["usage"] as? [String: Any])?["days"] as? [Int])
            #expect(days.last == 200 && days.reduce(0, +) == 200)
            #expect(harness.store.read { $0.keyUsage[created.record.id]?.window(endingOn: UsageDay(time.now)).last } == 200)
        }
    }

    @Test("GET of an unknown, malformed, revoked or expired key is 404, of another user's 403; a read key may read it")
    func oneKeyRules() async throws {
        let time = SettableTime()
        let harness = harness(time: time)
        let (ada, key) = try await harness.account("ada@example.com")
        let (bob, _) = try await harness.account("bob@example.com")
        let bobs = try await harness.services.operations.createAPIKey(NewAPIKey(name: "b"), by: .operator(bob)).record.id
        let revoked = try await harness.services.operations.createAPIKey(NewAPIKey(name: "r"), by: .operator(ada)).record.id
        try await harness.services.operations.revokeAPIKey(revoked.description, by: .operator(ada))
        let expiring = try await harness.services.operations.createAPIKey(
            NewAPIKey(name: "e", expiresAt: time.later(milliseconds: 1000)),
            by: .operator(ada)
        ).record.id
        let reader = try await harness.services.operations.createAPIKey(NewAPIKey(name: "read", scope: "read"), by: .operator(ada))
        try await harness.application.test(.router) { client in
            #expect(try await client.send(.get, "/api/auth/api-keys/\(expiring)", key: key).status == .ok)
            time.advance(milliseconds: 1000)
            for id in [APIKeyID.random().description, "not-an-id", revoked.description, expiring.description, "%2e%2e"] {
                let response = try await client.send(.get, "/api/auth/api-keys/\(id)", key: key)
                #expect(response.status == .notFound, "\(id)")
                #expect(response.code == "not_found", "\(id)")
            }
            let other = try await client.send(.get, "/api/auth/api-keys/\(bobs)", key: key)
            #expect(other.status == .forbidden)
            #expect(!other.text.contains("\"usage\""), "nothing of another user's key is shown")
            #expect(try await client.send(.get, "/api/auth/api-keys/\(reader.record.id)", key: reader.plaintext).status == .ok)
            #expect(try await client.send(.get, "/api/auth/api-keys/\(reader.record.id)").status == .unauthorized)
        }
    }

    @Test("auth.unused_key_days flags keys unused that long in the listing; the sweep revokes them, cached or not, with an event")
    func unusedKeys() async throws {
        let time = SettableTime()
        let harness = harness(time: time) {
            $0.unusedKeyDays = 30
            $0.revokeUnusedKeys = true
        }
        let (user, keeper) = try await harness.account("ada@example.com")
        let idle = try await harness.services.operations.createAPIKey(NewAPIKey(name: "idle"), by: .operator(user))
        try await harness.application.test(.router) { client in
            // Used once (so its digest is cached), then left alone.
            #expect(try await client.send(.get, "/api/desktops", key: idle.plaintext).status == .ok)
            var listed = try await client.send(.get, "/api/auth/api-keys", key: keeper).items
            #expect(listed.allSatisfy { $0["unused"] as? Bool == false })

            time.advance(milliseconds: 30 * Self.day)
            listed = try await client.send(.get, "/api/auth/api-keys", key: keeper).items
            let flags = Dictionary(uniqueKeysWithValues: listed.map { ($0["name"] as? String ?? "", $0["unused"] as? Bool) })
            #expect(flags == ["test": false, "idle": true], "the key making the request was just used")

            #expect(try await harness.services.operations.revokeUnusedKeys() == 1)
            let refused = try await client.send(.get, "/api/desktops", key: idle.plaintext)
            #expect(refused.status == .unauthorized, "refused at once, although its digest was cached")
            #expect(try await client.send(.get, "/api/desktops", key: keeper).status == .ok)
            let activity = try await client.send(.get, "/api/mission-control/activity", key: keeper).items
            let event = activity.first { $0["type"] as? String == "api_key.revoked_unused" }
            #expect((event?["data"] as? [String: Any])?["id"] as? String == idle.record.id.description)
        }
    }

    @Test("without auth.unused_key_days no key is ever flagged or swept")
    func noRule() async throws {
        let time = SettableTime()
        let harness = harness(time: time)
        let (_, key) = try await harness.account("ada@example.com")
        time.advance(milliseconds: 3650 * Self.day)
        try await harness.application.test(.router) { client in
            let listed = try await client.send(.get, "/api/auth/api-keys", key: key).items
            #expect(listed.first?["unused"] as? Bool == false)
        }
        #expect(try await harness.services.operations.revokeUnusedKeys() == 0)
    }
}

@Suite("Key usage through a real socket")
struct KeyUsageLiveTests {
    @Test("the latest client address of a key is the socket's peer without a trusted proxy")
    func peerAddress() async throws {
        let harness = TestHarness()
        let (user, watcher) = try await harness.account("ada@example.com")
        let created = try await harness.services.operations.createAPIKey(NewAPIKey(name: "ci"), by: .operator(user))
        try await harness.application.test(.live) { client in
            // A forwarded address from an untrusted peer is not believed.
            let spoof: HTTPFields = [.xForwardedFor: "203.0.113.7"]
            #expect(try await client.send(.get, "/api/desktops", key: created.plaintext, headers: spoof).status == .ok)
            let shown = try await client.send(.get, "/api/auth/api-keys/\(created.record.id)", key: watcher)
            #expect((shown.object["usage"] as? [String: Any])?["lastClientAddress"] as? String == "127.0.0.1")
        }
    }
}

@Suite("The unused-key sweep as a service")
struct UnusedKeySweepTests {
    @Test("it sweeps at start, then hourly on its clock; without auth.revoke_unused_keys there is none")
    func sweepsAtStartThenHourly() async throws {
        let time = SettableTime()
        var settings = TestHarness.settings
        settings.unusedKeyDays = 30
        settings.revokeUnusedKeys = true
        let harness = TestHarness(settings: settings, now: { time.now })
        let (user, _) = try await harness.account("ada@example.com")
        let first = try await harness.services.operations.createAPIKey(NewAPIKey(name: "first"), by: .operator(user)).record.id
        time.advance(milliseconds: 30 * KeyUsageHTTPTests.day)
        let clock = ManualClock()
        let sweep = try #require(unusedKeySweep(harness.services, clock: clock, logger: Logger(label: "test")))
        let running = Task { try await sweep.run() }
        defer { running.cancel() }
        #expect(try await eventually(within: .seconds(10)) { harness.store.read { $0.apiKeys[first]?.isActive } == false }, "swept at start")

        let second = try await harness.services.operations.createAPIKey(NewAPIKey(name: "second"), by: .operator(user)).record.id
        time.advance(milliseconds: 30 * KeyUsageHTTPTests.day)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(3599))
        try await Task.sleep(for: .milliseconds(50))
        #expect(harness.store.read { $0.apiKeys[second]?.isActive } == true, "not before the hour")
        clock.advance(by: .seconds(1))
        #expect(try await eventually(within: .seconds(10)) { harness.store.read { $0.apiKeys[second]?.isActive } == false }, "swept on the hour")

        var off = settings
        off.revokeUnusedKeys = false
        #expect(unusedKeySweep(TestHarness(settings: off).services, clock: clock, logger: Logger(label: "test")) == nil)
    }
}
