import BureauAuth
import BureauServer
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// A wall clock the test moves by hand (the store's `now`).
final class SettableTime: Sendable {
    private let current: Mutex<Timestamp>
    init(_ start: Timestamp = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)) { current = Mutex(start) }
    var now: Timestamp { current.withLock { $0 } }
    func advance(milliseconds: Int64) { current.withLock { $0 = Timestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch + milliseconds) } }
    /// The time `milliseconds` from now, as RFC 3339.
    func later(milliseconds: Int64) -> String { Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + milliseconds).rfc3339 }
}

@Suite("API key expiry")
struct KeyExpiryTests {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    @Test("expiresAt is optional, shown in the create answer and the listing, in any RFC 3339 form")
    func createWithExpiry() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let expiresAt = time.later(milliseconds: Self.day)
            let created = try await client.send(.post, "/api/auth/api-keys", key: key, json: "{\"name\": \"ci\", \"expiresAt\": \"\(expiresAt)\"}")
            #expect(created.status == .created)
            #expect(created.object["expiresAt"] as? String == expiresAt)
            // An offset and no fraction name the same kind of instant.
            let offset = try await client.send(
                .post,
                "/api/auth/api-keys",
                key: key,
                json: #"{"name": "offset", "expiresAt": "2027-01-15T10:00:00+02:00"}"#
            )
            #expect(offset.status == .created)
            #expect(offset.object["expiresAt"] as? String == "2027-01-15T08:00:00.000Z")

            let list = try await client.send(.get, "/api/auth/api-keys", key: key)
            let byName = Dictionary(uniqueKeysWithValues: list.items.map { ($0["name"] as? String ?? "", $0) })
            #expect(byName["ci"]?["expiresAt"] as? String == expiresAt)
            #expect(byName["offset"]?["expiresAt"] as? String == "2027-01-15T08:00:00.000Z")
            #expect(byName["test"]?["expiresAt"] is NSNull, "a key without expiry shows null")
        }
    }

    @Test("an expiry that is not RFC 3339, not in the future or beyond auth.max_key_lifetime_days is 400 naming expiresAt")
    func invalidExpiry() async throws {
        let time = SettableTime()
        var settings = TestHarness.settings
        settings.maxKeyLifetimeDays = 30
        let harness = TestHarness(settings: settings, now: { time.now })
        let (user, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            for value in [
                "\"tomorrow\"", "\"2027-01-15\"", "\"2027-02-30T10:00:00Z\"", "\"2027-01-15T10:00:00\"", "17", "null",
                "\"\(time.now.rfc3339)\"", "\"\(time.later(milliseconds: -1))\"", "\"\(time.later(milliseconds: 30 * Self.day + 1))\"",
            ] {
                let response = try await client.send(.post, "/api/auth/api-keys", key: key, json: "{\"name\": \"k\", \"expiresAt\": \(value)}")
                #expect(response.status == .badRequest, "\(value)")
                let fields = (response.object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
                #expect(fields == ["expiresAt"], "\(value): \(response.text)")
            }
            // Every problem in one answer.
            let both = try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "", "expiresAt": "soon"}"#)
            #expect(Set((both.object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []) == ["name", "expiresAt"])
            let limit = try await client.send(
                .post,
                "/api/auth/api-keys",
                key: key,
                json: "{\"name\": \"k\", \"expiresAt\": \"\(time.later(milliseconds: 30 * Self.day))\"}"
            )
            #expect(limit.status == .created, "exactly auth.max_key_lifetime_days ahead is allowed")
            let unsaid = try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "no expiry given"}"#)
            #expect(unsaid.object["expiresAt"] as? String == time.later(milliseconds: 30 * Self.day), "the longest lifetime allowed")
        }
        #expect(harness.store.read { $0.activeKeys(of: user).count } == 3)
    }

    @Test("a key expiring while its digest is cached is refused from its instant on, counted as a failure, and leaves the list")
    func expiresWhileCached() async throws {
        let time = SettableTime()
        var settings = TestHarness.settings
        settings.rateLimits.failedAuthLimit = 3
        let harness = TestHarness(settings: settings, now: { time.now })
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let created = try await client.send(
                .post,
                "/api/auth/api-keys",
                key: key,
                json: "{\"name\": \"short\", \"expiresAt\": \"\(time.later(milliseconds: Self.hour))\"}"
            )
            let expiring = try #require(created.object["key"] as? String)
            let id = try #require(created.object["id"] as? String)
            #expect(try await client.send(.get, "/api/desktops", key: expiring).status == .ok)
            let cached = harness.services.verifier.cachedKeyCount
            #expect(cached == 2, "both keys are recognised from the digest cache")

            time.advance(milliseconds: Self.hour - 1)
            #expect(try await client.send(.get, "/api/desktops", key: expiring).status == .ok, "one millisecond before its instant")
            time.advance(milliseconds: 1)
            let refused = try await client.send(.get, "/api/desktops", key: expiring)
            #expect(refused.status == .unauthorized)
            #expect(refused.code == "invalid_api_key")
            #expect(refused.headers[.wwwAuthenticate] == #"Bearer realm="bureau", error="invalid_token""#)
            // The stream's query key is judged the same way.
            #expect(try await client.send(.get, "/api/mission-control/activity/stream?apiKey=\(expiring)").status == .unauthorized)

            let list = try await client.send(.get, "/api/auth/api-keys", key: key)
            #expect(list.items.map { $0["name"] as? String } == ["test"])
            #expect(try await client.send(.delete, "/api/auth/api-keys/\(id)", key: key).status == .notFound)

            // Two failures so far; the third blocks the client from key authentication.
            #expect(try await client.send(.get, "/api/desktops", key: expiring).status != .ok)
            let blocked = try await client.send(.get, "/api/desktops", key: key)
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.code == "api_key_auth_blocked")
        }
    }

    @Test("a key never seen by this process (no cached digest) is refused once expired, before bcrypt")
    func expiresUncached() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let user = try await harness.user("ada@example.com")
        let created = try await harness.services.operations.createAPIKey(
            NewAPIKey(name: "offline", expiresAt: time.later(milliseconds: Self.day)),
            by: .operator(user)
        )
        #expect(created.record.expiresAt != nil)
        #expect(harness.services.verifier.cachedKeyCount == 0)
        time.advance(milliseconds: Self.day)
        try await harness.application.test(.router) { client in
            let response = try await client.send(.get, "/api/desktops", key: created.plaintext)
            #expect(response.status == .unauthorized)
        }
        #expect(harness.services.verifier.cachedKeyCount == 0)
        let reason = harness.services.verifier.refusalReason(lookupID: try #require(APIKeyFormat.parse(created.plaintext)).lookupID)
        #expect(reason == .expired)
    }

    @Test("a request authenticated just before the key expired changes nothing once it has: the commit re-checks")
    func expiryRacesAChange() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let user = try await harness.user("ada@example.com")
        let created = try await harness.services.operations.createAPIKey(
            NewAPIKey(name: "racing", expiresAt: time.later(milliseconds: 1000)),
            by: .operator(user)
        )
        let principal = Principal(userID: user, credential: .apiKey(created.record.id))
        // Admitted at this instant...
        #expect(try harness.services.operations.activeAPIKeys(by: .user(principal)).count == 1)
        // ...committed after the key's instant.
        time.advance(milliseconds: 1000)
        await #expect(throws: StoreError.credentialEnded(.apiKey(created.record.id))) {
            _ = try await harness.services.operations.createDesktop(NewDesktop(name: "late"), by: .user(principal))
        }
        #expect(throws: StoreError.credentialEnded(.apiKey(created.record.id))) {
            _ = try harness.services.operations.activeAPIKeys(by: .user(principal))
        }
        #expect(harness.store.read { $0.desktops.isEmpty })
    }

    @Test("a stream opened with a key closes on the first heartbeat after the key expires; one opened with a lasting key stays")
    func streamClosesAtExpiry() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let user = try await harness.user("ada@example.com")
        let lasting = try await harness.key(for: user)
        let expiring = try await harness.services.operations.createAPIKey(
            NewAPIKey(name: "short", expiresAt: time.later(milliseconds: Self.hour)),
            by: .operator(user)
        ).plaintext
        let clock = ManualClock()
        let heartbeat = ActivityHeartbeat(hub: harness.services.activity, interval: .seconds(15), clock: clock, store: harness.store)
        let application = Application(router: buildRouter(harness.services), services: [heartbeat])
        let stream = "/api/mission-control/activity/stream"
        try await application.test(.live) { client in
            let port = try #require(client.port)
            try await SSEClient.open(port: port, stream, headers: [("x-api-key", expiring)]) { (sse: inout SSEConnection) async throws in
                #expect(try await sse.next()?.retry != nil)
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(15))
                #expect(try await sse.next()?.comment == "keep-alive", "still valid: an ordinary beat")
                time.advance(milliseconds: Self.hour)
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(15))
                #expect(try await sse.next() == nil, "closed at the beat after the key's instant")
            }
            #expect(harness.services.activity.openStreams == 0)
            // A lasting key's stream gets the beat as before.
            try await SSEClient.open(port: port, stream, headers: [("x-api-key", lasting)]) { (sse: inout SSEConnection) async throws in
                #expect(try await sse.next()?.retry != nil)
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(15))
                #expect(try await sse.next()?.comment == "keep-alive")
            }
        }
    }

    @Test("expired keys do not count toward auth.max_keys_per_user")
    func expiredKeysLeaveTheCap() async throws {
        let time = SettableTime()
        var settings = TestHarness.settings
        settings.maxKeysPerUser = 2
        let harness = TestHarness(settings: settings, now: { time.now })
        let user = try await harness.user("ada@example.com")
        _ = try await harness.services.operations.createAPIKey(NewAPIKey(name: "a", expiresInDays: 1), by: .operator(user))
        _ = try await harness.services.operations.createAPIKey(NewAPIKey(name: "b"), by: .operator(user))
        await #expect(throws: StoreError.self) {
            _ = try await harness.services.operations.createAPIKey(NewAPIKey(name: "c"), by: .operator(user))
        }
        time.advance(milliseconds: Self.day)
        _ = try await harness.services.operations.createAPIKey(NewAPIKey(name: "c"), by: .operator(user))
        #expect(try harness.services.operations.activeAPIKeys(by: .operator(user)).map(\.name) == ["b", "c"])
    }
}
