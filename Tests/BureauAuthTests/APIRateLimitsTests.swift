import BureauStore
import BureauTestSupport
import Logging
import Testing

@testable import BureauAuth

@Suite("API rate limits together")
struct APIRateLimitsTests {
    let clock = ManualMonotonicClock()

    private func limits(configure: (inout RateLimitSettings) throws -> Void = { _ in }) throws -> APIRateLimits {
        var settings = RateLimitSettings()
        try configure(&settings)
        return APIRateLimits(settings: settings, clock: clock, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    private func address(_ text: String) throws -> IPAddress {
        try #require(IPAddress(text))
    }

    @Test("the documented defaults")
    func defaults() throws {
        let limits = try limits()
        #expect(limits.general.limit == 120 && limits.general.windowSeconds == 60)
        #expect(limits.failedAuth.limit == 10 && limits.failedAuth.windowSeconds == 60)
        #expect(limits.failedAuth.blockSeconds == 300 && limits.failedAuth.maxBlockSeconds == 3600)
        #expect(limits.fields.policy == #""general";q=120;w=60"#)
        #expect(limits.resolver.trustedProxies.isEmpty)
    }

    @Test("exempt clients are never limited nor blocked, whoever they authenticate as")
    func exempt() throws {
        let limits = try limits { $0.exempt = [try #require(IPNetwork("10.0.0.0/8")), try #require(IPNetwork("2001:db8::/64"))] }
        let user = RateLimitSubject.user(.random())
        for _ in 0..<500 {
            #expect(limits.admit(user, from: try address("10.1.2.3")) == .unlimited)
            #expect(limits.recordFailedAPIKey(from: try address("2001:db8::1")) == .ignored)
        }
        #expect(limits.apiKeyPermission(for: try address("2001:db8::1")) == .permitted)
        #expect(limits.admit(user, from: try address("192.0.2.1")) == .allowed(remaining: 119, resetSeconds: 60))
        for _ in 0..<10 { limits.recordFailedAPIKey(from: try address("192.0.2.1")) }
        #expect(limits.apiKeyPermission(for: try address("192.0.2.1")) == .blocked(retryAfterSeconds: 300))
    }

    @Test("a user is limited across addresses; anonymous clients each by address")
    func subjects() throws {
        let limits = try limits { $0.generalLimit = 2 }
        let user = RateLimitSubject.user(.random())
        #expect(limits.admit(user, from: try address("192.0.2.1")) == .allowed(remaining: 1, resetSeconds: 60))
        #expect(limits.admit(user, from: try address("192.0.2.2")) == .allowed(remaining: 0, resetSeconds: 60))
        #expect(limits.admit(user, from: try address("192.0.2.3")) == .denied(retryAfterSeconds: 60))
        let anonymous = RateLimitSubject.client(ClientKey(try address("192.0.2.1")))
        #expect(limits.admit(anonymous, from: try address("192.0.2.1")) == .allowed(remaining: 1, resetSeconds: 60))
    }

    @Test("each limit switches off on its own")
    func switchedOff() throws {
        let limits = try limits {
            $0.generalLimit = 0
            $0.failedAuthLimit = 0
        }
        let client = try address("192.0.2.1")
        for _ in 0..<200 {
            #expect(limits.admit(.client(ClientKey(client)), from: client) == .unlimited)
            limits.recordFailedAPIKey(from: client)
        }
        #expect(limits.apiKeyPermission(for: client) == .permitted)
    }
}
