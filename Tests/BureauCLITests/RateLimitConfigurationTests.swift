import BureauAuth
import BureauServer
import Testing

@testable import BureauCLI

@Suite("Rate-limit configuration")
struct RateLimitConfigurationTests {
    @Test("defaults are the documented numbers, with no exemption and no trusted proxy")
    func defaults() throws {
        let configuration = try BureauConfiguration.load(file: nil, environment: [:], flags: [:])
        #expect(configuration.server.rateLimits == RateLimitSettings())
        #expect(configuration.server.rateLimits.generalLimit == 120)
        #expect(configuration.server.rateLimits.blockSeconds == 300)
    }

    @Test("every rate_limits key reaches the settings")
    func mapped() throws {
        let path = try ConfigurationTests.file(
            """
            rate_limits:
              general:
                limit: 0
                window_seconds: 30
              failed_auth:
                limit: 5
                window_seconds: 120
              block:
                seconds: 60
                max_seconds: 600
              exempt: [10.0.0.0/8, "2001:db8::/32"]
              trusted_proxies:
                - 192.168.1.10
                - ::1
            """
        )
        let settings = try BureauConfiguration.load(file: path, environment: [:], flags: [:]).server.rateLimits
        #expect(settings.generalLimit == 0 && settings.generalWindowSeconds == 30)
        #expect(settings.failedAuthLimit == 5 && settings.failedAuthWindowSeconds == 120)
        #expect(settings.blockSeconds == 60 && settings.maxBlockSeconds == 600)
        #expect(settings.exempt.map(\.description) == ["10.0.0.0/8", "2001:db8::/32"])
        #expect(settings.trustedProxies.map(\.description) == ["192.168.1.10/32", "::1/128"])
    }

    @Test("lists from the environment")
    func environment() throws {
        let configuration = try BureauConfiguration.load(
            file: nil,
            environment: ["BUREAU_RATE_LIMITS_TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8"],
            flags: [:]
        )
        #expect(configuration.server.rateLimits.trustedProxies.map(\.description) == ["10.0.0.0/8", "fd00::/8"])
    }

    @Test("a malformed block is refused at load, naming the key and the entry")
    func badNetwork() throws {
        let path = try ConfigurationTests.file("rate_limits:\n  trusted_proxies: [10.0.0.0/8, 10.0.0.0/33]\n")
        let error = try #require(throws: ConfigurationError.self) {
            try BureauConfiguration.load(file: path, environment: [:], flags: [:])
        }
        #expect(error.description.contains("rate_limits.trusted_proxies"))
        #expect(error.description.contains("10.0.0.0/33"))
        let exempt = try #require(throws: ConfigurationError.self) {
            try BureauConfiguration.load(file: nil, environment: ["BUREAU_RATE_LIMITS_EXEMPT": "localhost"], flags: [:])
        }
        #expect(exempt.description.contains("rate_limits.exempt"))
    }

    @Test("a first block longer than the maximum is refused")
    func blockLongerThanMaximum() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try BureauConfiguration.load(file: nil, environment: [:], flags: ["rate_limits.block.seconds": "7200"])
        }
        #expect(error.description.contains("rate_limits.block.seconds"))
    }
}
