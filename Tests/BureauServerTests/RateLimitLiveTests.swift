import BureauAuth
import BureauServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Rate limits through real sockets")
struct RateLimitLiveTests {
    @Test("ten bad keys from one address block it; a valid key from it then gets 429")
    func blockOverTCP() async throws {
        var settings = TestHarness.settings
        settings.rateLimits.generalLimit = 120
        let harness = TestHarness(settings: settings)
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            let before = try await client.send(.get, "/api/desktops", key: key)
            #expect(before.status == .ok)
            for _ in 0..<10 {
                #expect(try await client.send(.get, "/api/desktops", key: "lb_k_wrong").code == "invalid_api_key")
            }
            let blocked = try await client.send(.get, "/api/desktops", key: key)
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.code == "api_key_auth_blocked")
            let retryAfter = try #require(blocked.headers[.retryAfter].flatMap { Int($0) })
            #expect((299...300).contains(retryAfter))
            #expect(blocked.headers[.rateLimit]?.hasPrefix(#""general";r=109;t="#) == true)
        }
        #expect(harness.services.rateLimits.failedAuth.activeBlockCount == 1)
    }
}
