import BureauAuth
import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Metrics at /metrics")
struct MetricsTests {
    /// The value of the series `name` (with its labels as written, e.g. `{outcome="cached"}`), or `nil`.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Every series line (comments skipped), without its value.
    static func series(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != " " }) })
    }

    @Test("requests by route template, method and status; auth outcomes by reason; 429s by limit; cache hits and misses")
    func counts() async throws {
        var settings = TestHarness.settings
        settings.devLogin = true
        settings.rateLimits.generalLimit = 1_000
        settings.rateLimits.failedAuthLimit = 3
        let harness = TestHarness(settings: settings)
        let (user, key) = try await harness.account("ada@example.com")
        let revoked = try await harness.services.operations.createAPIKey(NewAPIKey(name: "gone"), by: .operator(user))
        try await harness.services.operations.revokeAPIKey(revoked.record.id.description, by: .operator(user))
        // The same lookup id and checksum rules, another secret: an active key's id with the wrong secret.
        let other = try await harness.key(for: user)
        let text = try await harness.application.test(.router) { client in
            // A key created through the operations is not cached yet: the first use pays bcrypt.
            #expect(try await client.send(.get, "/api/desktops", key: key).status == .ok)
            #expect(try await client.send(.get, "/api/desktops", key: key).status == .ok)
            #expect(try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "Counted"}"#).status == .created)
            let desktop = try await client.send(.get, "/api/desktops", key: key).items.first?["id"] as? String
            let desktopID = try #require(desktop)
            #expect(try await client.send(.get, "/api/desktops/\(desktopID)", key: key).status == .ok)
            #expect(try await client.send(.get, "/api/desktops", key: "lb_k_short").status == .unauthorized)
            var mistyped = Array(key)
            mistyped[10] = mistyped[10] == "A" ? "B" : "A"
            #expect(try await client.send(.get, "/api/desktops", key: String(mistyped)).status == .unauthorized)
            // Now blocked (3 failures): the next key is refused unexamined.
            #expect(try await client.send(.get, "/api/desktops", key: revoked.plaintext).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", key: other).status == .tooManyRequests)
            let cookie = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "bob@example.com"}"#).headers[.setCookie]
            let session = String(try #require(cookie).prefix { $0 != ";" })
            #expect(try await client.send(.get, "/api/auth/me", headers: [.cookie: session]).status == .ok)
            #expect(try await client.send(.get, "/api/auth/me", headers: [.cookie: "\(harness.services.cookie.name)=stale"]).status == .unauthorized)
            #expect(try await client.send(.get, "/nowhere").status == .notFound)
            let scrape = try await client.send(.get, "/metrics")
            #expect(scrape.status == .ok)
            #expect(scrape.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            return scrape.text
        }
        let requests = "bureau_http_requests_total"
        #expect(Self.value(text, #"\#(requests){route="/api/desktops",method="GET",status="200"}"#) == 3)
        #expect(Self.value(text, #"\#(requests){route="/api/desktops",method="POST",status="201"}"#) == 1)
        #expect(Self.value(text, #"\#(requests){route="/api/desktops/{id}",method="GET",status="200"}"#) == 1)
        #expect(Self.value(text, #"\#(requests){route="/api/desktops",method="GET",status="401"}"#) == 3)
        #expect(Self.value(text, #"\#(requests){route="/api/desktops",method="GET",status="429"}"#) == 1)
        #expect(Self.value(text, #"\#(requests){route="unmatched",method="GET",status="404"}"#) == 1)
        #expect(Self.value(text, #"bureau_http_request_duration_seconds_count{route="/api/desktops",method="GET"}"#) == 7)
        let outcomes = "bureau_auth_outcomes_total"
        #expect(Self.value(text, #"\#(outcomes){outcome="bcrypt"}"#) == 1)
        #expect(Self.value(text, #"\#(outcomes){outcome="cached"}"#) == 4)
        #expect(Self.value(text, #"\#(outcomes){outcome="bad_shape"}"#) == 1)
        #expect(Self.value(text, #"\#(outcomes){outcome="bad_checksum"}"#) == 1)
        #expect(Self.value(text, #"\#(outcomes){outcome="revoked"}"#) == 1)
        #expect(Self.value(text, #"\#(outcomes){outcome="blocked"}"#) == 1)
        #expect(Self.value(text, #"\#(outcomes){outcome="session"}"#) == 1)
        #expect(Self.value(text, #"\#(outcomes){outcome="invalid_session"}"#) == 1)
        #expect(Self.value(text, #"bureau_rate_limited_total{limit="failed_auth"}"#) == 1)
        #expect(Self.value(text, "bureau_key_cache_hits_total") == 4)
        #expect(Self.value(text, "bureau_key_cache_misses_total") == 1)
        #expect(Self.value(text, "bureau_bcrypt_check_duration_seconds_count") == 1)
        #expect(Self.value(text, "bureau_key_cache_size") == 1)
        #expect(Self.value(text, "bureau_active_blocks") == 1)
        #expect((Self.value(text, "bureau_process_resident_memory_bytes") ?? 0) > 1_000_000)
        // Nothing of a user's: no key, no e-mail, no id.
        for secret in [String(key.dropFirst(5)), "ada@example.com", "bob@example.com", user.description, "Counted"] {
            #expect(!text.contains(secret), "\(secret) is in the metrics")
        }
    }

    @Test("unknown keys and wrong secrets are told apart, from the store alone")
    func unknownAndWrongSecret() async throws {
        let harness = TestHarness()
        let (user, key) = try await harness.account("ada@example.com")
        _ = user
        let verifier = harness.services.verifier
        let lookup = String(key.dropFirst(5).prefix(12))
        #expect(verifier.refusalReason(lookupID: lookup) == .wrongSecret)
        #expect(verifier.refusalReason(lookupID: "AAAAAAAAAAAA") == .unknown)
        try await harness.services.operations.revokeAPIKey(
            try #require(harness.store.read { $0.activeKey(lookupID: lookup)?.id.description }),
            by: .operator(user)
        )
        #expect(verifier.refusalReason(lookupID: lookup) == .revoked)
    }

    @Test("random paths, methods and ids leave the set of series fixed: labels are bounded")
    func boundedLabels() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        @Sendable func round(_ client: some TestClientProtocol) async throws -> Set<String> {
            for _ in 0..<40 {
                let noise = UUID().uuidString
                _ = try await client.send(.get, "/\(noise)/\(noise.prefix(4))")
                _ = try await client.send(.get, "/api/desktops/\(noise)", key: key)
                _ = try await client.send(.get, "/api/mission-control/tasks/\(noise)?status=\(noise)", key: key)
                _ = try await client.send(.get, "//api/%2F\(noise)")
                _ = try await client.send(HTTPRequest.Method("X\(noise.prefix(6).filter(\.isLetter).uppercased())X")!, "/api/desktops", key: key)
                _ = try await client.send(.get, "/api/desktops", key: "lb_k_\(noise)")
            }
            return Self.series(try await client.send(.get, "/metrics").text)
        }
        try await harness.application.test(.router) { client in
            _ = try await client.send(.get, "/metrics")
            let first = try await round(client)
            let second = try await round(client)
            #expect(first == second, "new series: \(second.subtracting(first).sorted())")
            let routes = Set(second.compactMap { $0.firstMatch(of: /route="([^"]*)"/).map { String($0.1) } })
            #expect(routes == ["/api/desktops", "/api/desktops/{id}", "/api/mission-control/tasks/{id}", "/metrics", "unmatched"])
            #expect(!second.contains { $0.contains(/[0-9A-F]{8}-/) }, "no id or random path in a label")
        }
    }

    @Test("metrics.enabled false: no /metrics")
    func switchedOff() async throws {
        var settings = TestHarness.settings
        settings.metricsEnabled = false
        let harness = TestHarness(settings: settings)
        try await harness.application.test(.router) { client in
            let status = try await client.send(.get, "/metrics").status
            #expect(status == .notFound)
        }
    }
}
