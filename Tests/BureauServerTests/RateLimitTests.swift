import BureauAuth
import BureauServer
import BureauStore
import BureauTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `RateLimit-Policy`, `RateLimit`, `X-Forwarded-For`.
extension HTTPField.Name {
    static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    static let rateLimit = HTTPField.Name("RateLimit")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

/// In-process requests have no socket peer and count as coming from `::`; trusting `::` lets a test choose
/// each request's client address with `X-Forwarded-For`.
private let inProcessPeer = "::/128"

@Suite("Rate limits over HTTP")
struct RateLimitTests {
    let clock = ManualMonotonicClock()

    private func harness(_ configure: (inout RateLimitSettings) -> Void = { _ in }) -> TestHarness {
        var settings = TestHarness.settings
        settings.rateLimits = RateLimitSettings()
        settings.rateLimits.trustedProxies = [IPNetwork(inProcessPeer)!]
        configure(&settings.rateLimits)
        return TestHarness(settings: settings, clock: clock)
    }

    private func from(_ address: String) -> HTTPFields {
        [.xForwardedFor: address]
    }

    @Test("every /api response carries the fields, errors included; other paths none")
    func fieldsEverywhere() async throws {
        let harness = harness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let ok = try await client.send(.get, "/api/desktops", key: key)
            #expect(ok.status == .ok)
            #expect(ok.headers[.rateLimitPolicy] == #""general";q=120;w=60"#)
            #expect(ok.headers[.rateLimit] == #""general";r=119;t=60"#)
            let anonymous = try await client.send(.get, "/api/desktops")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.rateLimit] == #""general";r=119;t=60"#)
            let missing = try await client.send(.get, "/api/nothing-here", key: key)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.rateLimitPolicy] == #""general";q=120;w=60"#)
            #expect(missing.headers[.rateLimit] == #""general";r=118;t=60"#)
            let health = try await client.send(.get, "/healthz")
            #expect(health.headers[.rateLimitPolicy] == nil && health.headers[.rateLimit] == nil)
        }
    }

    @Test("the 121st request within 60 s gets 429 rate_limited, Retry-After equal to t; slots free on time")
    func generalLimit() async throws {
        let harness = harness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            for _ in 0..<60 { #expect(try await client.send(.get, "/api/desktops", key: key).status == .ok) }
            clock.advance(by: .seconds(20))
            for _ in 0..<60 { #expect(try await client.send(.get, "/api/desktops", key: key).status == .ok) }
            clock.advance(by: .seconds(10))
            let refused = try await client.send(.get, "/api/desktops", key: key)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.code == "rate_limited")
            #expect(refused.headers[.contentType] == "application/problem+json")
            #expect(refused.headers[.retryAfter] == "30")
            #expect(refused.headers[.rateLimit] == #""general";r=0;t=30"#)
            clock.advance(by: .seconds(29))
            #expect(try await client.send(.get, "/api/desktops", key: key).headers[.retryAfter] == "1")
            clock.advance(by: .seconds(1))
            let again = try await client.send(.get, "/api/desktops", key: key)
            #expect(again.status == .ok)
            #expect(again.headers[.rateLimit] == #""general";r=59;t=20"#)
        }
    }

    @Test("a user is limited across addresses; requests without credentials by address")
    func subjects() async throws {
        let harness = harness { $0.generalLimit = 2 }
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { (client) async throws in
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: from("192.0.2.1")).status == .ok)
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: from("192.0.2.2")).status == .ok)
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: from("192.0.2.3")).status == .tooManyRequests)
            #expect(try await client.send(.get, "/api/desktops", headers: from("192.0.2.1")).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", headers: from("192.0.2.1")).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", headers: from("192.0.2.1")).code == "rate_limited")
            #expect(try await client.send(.get, "/api/desktops", headers: from("192.0.2.2")).status == .unauthorized)
        }
    }

    @Test("the 10th bad key blocks the address; a valid key from it is then refused without being checked")
    func failedKeysBlock() async throws {
        let harness = harness()
        let (_, key) = try await harness.account("ada@example.com")
        let attacker = from("203.0.113.7")
        let badKeys = ["garbage", "lb_k_short", APIKeyFormat.generate().plaintext, String(key.dropLast()) + (key.hasSuffix("A") ? "B" : "A")]
        try await harness.application.test(.router) { client in
            for attempt in 0..<10 {
                let response = try await client.send(.get, "/api/desktops", key: badKeys[attempt % badKeys.count], headers: attacker)
                #expect(response.status == .unauthorized)
                #expect(response.code == "invalid_api_key")
            }
            let blocked = try await client.send(.get, "/api/desktops", key: key, headers: attacker)
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.code == "api_key_auth_blocked")
            #expect(blocked.headers[.retryAfter] == "300")
            #expect(blocked.headers[.rateLimitPolicy] != nil && blocked.headers[.rateLimit] != nil)
            #expect(!blocked.text.contains(key))
            // Never checked: a successful check would have cached the key's digest.
            #expect(harness.services.verifier.cachedKeyCount == 0)
            var bearer = attacker
            bearer[.authorization] = "Bearer \(key)"
            #expect(try await client.send(.get, "/api/desktops", headers: bearer).code == "api_key_auth_blocked")
            // Requests from the address that present no key are not affected by the block.
            #expect(try await client.send(.get, "/api/desktops", headers: attacker).code == "unauthenticated")
            // Other addresses are not blocked.
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: from("203.0.113.8")).status == .ok)
            #expect(harness.services.verifier.cachedKeyCount == 1)

            clock.advance(by: .seconds(299))
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: attacker).headers[.retryAfter] == "1")
            clock.advance(by: .seconds(1))
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: attacker).status == .ok)
        }
        #expect(harness.services.rateLimits.failedAuth.counters.blocksImposed == 1)
        #expect(harness.services.rateLimits.failedAuth.counters.requestsRefused == 3)
    }

    @Test("an IPv6 client is blocked with its whole /64")
    func ipv6Block() async throws {
        let harness = harness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            for suffix in 1...10 {
                try await client.send(.get, "/api/desktops", key: "wrong", headers: from("2001:db8:1:2::\(suffix)"))
            }
            let sameNetwork = try await client.send(.get, "/api/desktops", key: key, headers: from("[2001:db8:1:2:ffff::1]:4000"))
            #expect(sameNetwork.code == "api_key_auth_blocked")
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: from("2001:db8:1:3::1")).status == .ok)
        }
    }

    @Test("X-Forwarded-For from an untrusted peer is ignored: rotating it does not escape a block")
    func spoofedForwardedFor() async throws {
        let harness = harness { $0.trustedProxies = [] }
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            for index in 1...10 {
                try await client.send(.get, "/api/desktops", key: "wrong", headers: from("198.51.100.\(index)"))
            }
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: from("198.51.100.99")).code == "api_key_auth_blocked")
        }
    }

    @Test("exempt clients are never limited nor blocked and get no fields")
    func exempt() async throws {
        let harness = harness {
            $0.generalLimit = 2
            $0.exempt = [IPNetwork("203.0.113.0/24")!]
        }
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let exempt = from("203.0.113.50")
            for _ in 0..<20 { try await client.send(.get, "/api/desktops", key: "wrong", headers: exempt) }
            let response = try await client.send(.get, "/api/desktops", key: key, headers: exempt)
            #expect(response.status == .ok)
            #expect(response.headers[.rateLimit] == nil && response.headers[.rateLimitPolicy] == nil)
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: from("192.0.2.1")).headers[.rateLimit] != nil)
        }
    }

    @Test("both limits switched off: no fields, no 429")
    func switchedOff() async throws {
        let harness = harness {
            $0.generalLimit = 0
            $0.failedAuthLimit = 0
        }
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            for _ in 0..<150 {
                let response = try await client.send(.get, "/api/desktops", key: "wrong")
                #expect(response.status == .unauthorized)
                #expect(response.headers[.rateLimit] == nil)
            }
            #expect(try await client.send(.get, "/api/desktops", key: key).status == .ok)
        }
    }
}
