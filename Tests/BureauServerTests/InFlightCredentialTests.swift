import BureauServer
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("A credential revoked or ended while its requests are in flight changes nothing")
struct InFlightCredentialTests {
    @Test("16 key creations in flight with key K, K revoked: every one answers 401 and no key is created", .timeLimit(.minutes(1)))
    func revocationUnderCreations() async throws {
        let minter = HeldMinter()
        let harness = TestHarness(minter: minter)
        let (user, key) = try await harness.account("ada@example.com")
        let other = try await harness.key(for: user, name: "other")
        try await harness.application.test(.router) { client async throws in
            let keyID = try #require(try await client.send(.get, "/api/auth/me", key: key).object["apiKeyId"] as? String)
            minter.gate.close()
            let creations = (0..<16).map { number in
                Task { try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "race \#(number)"}"#) }
            }
            while minter.gate.waitingCount < 16 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(try await client.send(.delete, "/api/auth/api-keys/\(keyID)", key: other).status == .noContent)
            minter.gate.open()
            for creation in creations {
                let answer = try await creation.value
                #expect(answer.status == .unauthorized)
                #expect(answer.code == "invalid_api_key")
                #expect(answer.object["key"] == nil)
            }
            let names = try await client.send(.get, "/api/auth/api-keys", key: other).items.compactMap { $0["name"] as? String }
            #expect(names == ["other"])
        }
        #expect(harness.store.read { $0.activeKeys(of: user).count } == 1)
    }

    @Test("key creations in flight with a session that logs out: 401, nothing created", .timeLimit(.minutes(1)))
    func logoutUnderCreations() async throws {
        let minter = HeldMinter()
        let sessions = SessionHarness(minter: minter)
        try await sessions.harness.application.test(.router) { client async throws in
            let cookie = try await sessions.signIn(client)
            minter.gate.close()
            let creations = (0..<4).map { number in
                Task { try await client.send(.post, "/api/auth/api-keys", cookie: cookie, json: #"{"name": "race \#(number)"}"#) }
            }
            while minter.gate.waitingCount < 4 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(try await client.send(.post, "/api/auth/logout", cookie: cookie).status == .noContent)
            minter.gate.open()
            for creation in creations {
                #expect(try await creation.value.status == .unauthorized)
            }
        }
        #expect(sessions.store.read { $0.apiKeys.isEmpty })
    }
}
