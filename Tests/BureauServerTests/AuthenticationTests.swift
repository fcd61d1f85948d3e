import BureauAuth
import BureauServer
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Authentication")
struct AuthenticationTests {
    @Test("no credentials: 401 problem with a Bearer challenge")
    func noCredentials() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client in
            let response = try await client.send(.get, "/api/desktops")
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="bureau""#)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.code == "unauthenticated")
            #expect(response.object["status"] as? Int == 401)
            #expect(response.headers[HTTPField.Name("x-request-id")!] != nil)
        }
    }

    @Test("a bad key: 401 invalid_token, and the answer is the same whatever was wrong")
    func badKeys() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("a@example.com")
        let revokedUser = try await harness.user("r@example.com")
        let revoked = try await harness.key(for: revokedUser)
        let revokedID = try #require(harness.store.read { $0.activeKeys(of: revokedUser).first?.id })
        try await harness.store.commit { _, _, now -> (Mutation?, Void) in (.apiKeyRevoked(APIKeyRevocation(id: revokedID, at: now)), ()) }
        let mistyped = String(key.dropLast()) + (key.hasSuffix("A") ? "B" : "A")
        let candidates = ["garbage", "lb_k_short", mistyped, APIKeyFormat.generate().plaintext, revoked, ""]
        try await harness.application.test(.router) { client in
            var bodies = Set<String>()
            for candidate in candidates {
                let response = try await client.send(.get, "/api/desktops", key: candidate)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="bureau", error="invalid_token""#)
                #expect(response.code == "invalid_api_key")
                bodies.insert(response.text)
                if !candidate.isEmpty { #expect(!response.text.contains(candidate)) }
            }
            #expect(bodies.count == 1)
        }
    }

    @Test("x-api-key and Authorization: Bearer both authenticate")
    func headerForms() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("a@example.com")
        try await harness.application.test(.router) { client in
            #expect(try await client.send(.get, "/api/desktops", key: key).status == .ok)
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(key)"
            #expect(try await client.send(.get, "/api/desktops", headers: headers).status == .ok)
            headers[.authorization] = "bearer \(key)"
            #expect(try await client.send(.get, "/api/desktops", headers: headers).status == .ok)
            headers[.authorization] = "Basic \(key)"
            let basic = try await client.send(.get, "/api/desktops", headers: headers)
            #expect(basic.status == .unauthorized)
            #expect(basic.code == "unauthenticated")
        }
    }

    @Test("a request with a key is judged by that key alone")
    func keyWins() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("a@example.com")
        try await harness.application.test(.router) { client in
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(key)"
            // A bad x-api-key is not rescued by a good bearer token.
            let response = try await client.send(.get, "/api/desktops", key: "lb_k_bad", headers: headers)
            #expect(response.status == .unauthorized)
        }
    }

    @Test("?apiKey= authenticates nothing outside the activity stream")
    func queryKeyIgnored() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("a@example.com")
        try await harness.application.test(.router) { client in
            for path in ["/api/desktops", "/api/auth/me", "/api/auth/api-keys", "/api/mission-control/tasks"] {
                let response = try await client.send(.get, "\(path)?apiKey=\(key)")
                #expect(response.status == .unauthorized, "\(path)")
                #expect(response.code == "unauthenticated")
            }
        }
    }

    @Test("the same key never verifies as another user")
    func keysAreUsersOwn() async throws {
        let harness = TestHarness()
        let (ada, adaKey) = try await harness.account("ada@example.com")
        let (bob, bobKey) = try await harness.account("bob@example.com")
        try await harness.application.test(.router) { client in
            for _ in 0..<3 {
                let asAda = try await client.send(.get, "/api/auth/me", key: adaKey).object
                let asBob = try await client.send(.get, "/api/auth/me", key: bobKey).object
                #expect(asAda["id"] as? String == ada.description)
                #expect(asBob["id"] as? String == bob.description)
            }
        }
    }

    @Test("/api/auth/me says who and how")
    func me() async throws {
        let harness = TestHarness()
        let (user, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let me = try await client.send(.get, "/api/auth/me", key: key).object
            #expect(me["id"] as? String == user.description)
            #expect(me["email"] as? String == "ada@example.com")
            #expect(me["authMethod"] as? String == "api_key")
            #expect(me["createdAt"] as? String != nil)
        }
    }

    @Test("health needs no credentials and reveals nothing")
    func health() async throws {
        let harness = TestHarness()
        _ = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let response = try await client.send(.get, "/healthz")
            #expect(response.status == .ok)
            #expect(!response.text.contains("ada"))
            #expect(response.headers[HTTPField.Name("x-request-id")!] != nil)
        }
    }
}
