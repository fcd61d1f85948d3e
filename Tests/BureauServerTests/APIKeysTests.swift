import BureauAuth
import BureauServer
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("API keys endpoints")
struct APIKeysTests {
    @Test("create returns the key once; list shows a masked preview and never the key")
    func createAndList() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let created = try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "  CI Pipeline  "}"#)
            #expect(created.status == .created)
            #expect(created.headers[.cacheControl] == "no-store")
            let body = created.object
            let plaintext = try #require(body["key"] as? String)
            #expect(APIKeyFormat.parse(plaintext) != nil)
            #expect(body["name"] as? String == "CI Pipeline")
            #expect(body["preview"] as? String == "lb_k_..." + plaintext.suffix(4))
            #expect(body["id"] as? String != nil)
            #expect(body["createdAt"] as? String != nil)

            let list = try await client.send(.get, "/api/auth/api-keys", key: plaintext)
            #expect(list.status == .ok)
            #expect(list.items.count == 2)
            #expect(!list.text.contains(plaintext))
            #expect(!list.text.contains(key))
            for item in list.items {
                #expect(Set(item.keys) == ["id", "name", "preview", "createdAt", "lastUsedAt", "expiresAt", "scope", "unused", "usage"])
                #expect((item["preview"] as? String)?.count == "lb_k_...".count + 4)
            }
            // The new key was used for the listing: its lastUsedAt is set.
            let mine = list.items.first { $0["id"] as? String == body["id"] as? String }
            #expect(mine?["lastUsedAt"] as? String != nil)
        }
    }

    @Test("the plaintext appears in no other response")
    func plaintextNeverRepeated() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let created = try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "x"}"#)
            let plaintext = try #require(created.object["key"] as? String)
            let id = try #require(created.object["id"] as? String)
            var responses: [TestResponse] = []
            responses.append(try await client.send(.get, "/api/auth/api-keys", key: plaintext))
            responses.append(try await client.send(.get, "/api/auth/me", key: plaintext))
            responses.append(try await client.send(.get, "/api/desktops", key: plaintext))
            responses.append(try await client.send(.delete, "/api/auth/api-keys/\(id)", key: key))
            responses.append(try await client.send(.get, "/api/auth/api-keys", key: plaintext))
            responses.append(try await client.send(.get, "/api/desktops?apiKey=\(plaintext)"))
            for response in responses {
                #expect(!response.text.contains(plaintext))
                #expect(!response.text.contains(String(plaintext.dropFirst(5).prefix(20))))
                for field in response.headers { #expect(!field.value.contains(plaintext)) }
            }
        }
    }

    @Test("revocation is immediate, even for a key that was just used")
    func revocation() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let created = try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "temp"}"#)
            let plaintext = try #require(created.object["key"] as? String)
            let id = try #require(created.object["id"] as? String)
            #expect(try await client.send(.get, "/api/desktops", key: plaintext).status == .ok)
            #expect(try await client.send(.delete, "/api/auth/api-keys/\(id)", key: key).status == .noContent)
            #expect(try await client.send(.get, "/api/desktops", key: plaintext).status == .unauthorized)
            #expect(try await client.send(.delete, "/api/auth/api-keys/\(id)", key: key).status == .notFound)
            let list = try await client.send(.get, "/api/auth/api-keys", key: key)
            #expect(list.items.count == 1)
        }
    }

    @Test("a key can revoke itself; the next request with it fails")
    func selfRevocation() async throws {
        let harness = TestHarness()
        let (user, key) = try await harness.account("ada@example.com")
        let id = try #require(harness.store.read { $0.activeKeys(of: user).first?.id })
        try await harness.application.test(.router) { client in
            let revoked = try await client.send(.delete, "/api/auth/api-keys/\(id)", key: key)
            #expect(revoked.status == .noContent)
            let after = try await client.send(.get, "/api/auth/api-keys", key: key)
            #expect(after.status == .unauthorized)
        }
    }

    @Test("another user's key is 403, an unknown or malformed id 404")
    func ownership() async throws {
        let harness = TestHarness()
        let (_, adaKey) = try await harness.account("ada@example.com")
        let (bob, bobKey) = try await harness.account("bob@example.com")
        let bobKeyID = try #require(harness.store.read { $0.activeKeys(of: bob).first?.id })
        try await harness.application.test(.router) { client in
            let forbidden = try await client.send(.delete, "/api/auth/api-keys/\(bobKeyID)", key: adaKey)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.code == "forbidden")
            #expect(try await client.send(.get, "/api/desktops", key: bobKey).status == .ok)
            #expect(try await client.send(.delete, "/api/auth/api-keys/\(APIKeyID.random())", key: adaKey).status == .notFound)
            #expect(try await client.send(.delete, "/api/auth/api-keys/not-a-uuid", key: adaKey).status == .notFound)
            let adaList = try await client.send(.get, "/api/auth/api-keys", key: adaKey)
            #expect(!adaList.text.contains(bobKeyID.description))
        }
    }

    @Test("names are 1 to 100 characters after trimming")
    func nameValidation() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            for body in [
                #"{}"#, #"{"name": ""}"#, #"{"name": "   "}"#, #"{"name": 7}"#, #"{"name": null}"#,
                "{\"name\": \"\(String(repeating: "é", count: 101))\"}",
            ] {
                let response = try await client.send(.post, "/api/auth/api-keys", key: key, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.code == "invalid_request")
                #expect((response.object["errors"] as? [[String: Any]])?.first?["field"] as? String == "name")
            }
            let hundred = "{\"name\": \"\(String(repeating: "é", count: 100))\"}"
            #expect(try await client.send(.post, "/api/auth/api-keys", key: key, json: hundred).status == .created)
        }
    }

    @Test("the per-user cap answers 409 and counts only active keys")
    func cap() async throws {
        var settings = TestHarness.settings
        settings.maxKeysPerUser = 3
        let harness = TestHarness(settings: settings)
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            var ids: [String] = []
            for index in 0..<2 {
                let created = try await client.send(.post, "/api/auth/api-keys", key: key, json: "{\"name\": \"k\(index)\"}")
                #expect(created.status == .created)
                ids.append(created.object["id"] as? String ?? "")
            }
            let refused = try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "one too many"}"#)
            #expect(refused.status == .conflict)
            #expect(refused.code == "api_key_limit_reached")
            #expect(try await client.send(.delete, "/api/auth/api-keys/\(ids[0])", key: key).status == .noContent)
            #expect(try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "again"}"#).status == .created)
        }
    }
}
