import BureauAuth
import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@Suite("Rolling API keys")
struct KeyRollTests {
    @Test("a roll returns a new key of the same name and scope, once; the old one works through the grace period, then 401")
    func rollWithGrace() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let (user, admin) = try await harness.account("ada@example.com")
        let old = try await harness.services.operations.createAPIKey(NewAPIKey(name: "CI", scope: "read"), by: .operator(user))
        try await harness.application.test(.router) { client in
            let rolled = try await client.send(.post, "/api/auth/api-keys/\(old.record.id)/roll", key: admin, json: #"{"graceSeconds": 3600}"#)
            #expect(rolled.status == .created)
            #expect(rolled.headers[.cacheControl] == "no-store")
            let successor = try #require(rolled.object["key"] as? String)
            #expect(APIKeyFormat.parse(successor) != nil && successor != old.plaintext)
            #expect(rolled.object["name"] as? String == "CI")
            #expect(rolled.object["scope"] as? String == "read")
            #expect(rolled.object["id"] as? String != old.record.id.description)

            let list = try await client.send(.get, "/api/auth/api-keys", key: admin)
            let rolledItem = list.items.first { $0["id"] as? String == old.record.id.description }
            #expect(rolledItem?["expiresAt"] as? String == time.later(milliseconds: 3_600_000))
            #expect(rolledItem?["rolled"] as? Bool == true)
            let successorItem = list.items.first { $0["id"] as? String == rolled.object["id"] as? String }
            #expect(successorItem?["rolled"] as? Bool == false)
            #expect(!list.text.contains(successor))

            #expect(try await client.send(.get, "/api/desktops", key: old.plaintext).status == .ok)
            #expect(try await client.send(.get, "/api/desktops", key: successor).status == .ok)
            time.advance(milliseconds: 3_600_000)
            #expect(try await client.send(.get, "/api/desktops", key: old.plaintext).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", key: successor).status == .ok)

            let activity = try await client.send(.get, "/api/mission-control/activity", key: admin)
            let types = activity.items.compactMap { $0["type"] as? String }
            #expect(types.prefix(2) == ["api_key.created", "api_key.rolled"], "newest first: the successor, then the roll")
        }
    }

    @Test("graceSeconds 0: the old key is refused from the roll on")
    func rollWithoutGrace() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let id = try #require(try await client.send(.get, "/api/auth/me", key: key).object["apiKeyId"] as? String)
            let rolled = try await client.send(.post, "/api/auth/api-keys/\(id)/roll", key: key, json: #"{"graceSeconds": 0}"#)
            #expect(rolled.status == .created)
            let successor = try #require(rolled.object["key"] as? String)
            #expect(try await client.send(.get, "/api/desktops", key: key).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", key: successor).status == .ok)
        }
    }

    @Test("404 for unknown, revoked or expired keys, 403 for another user's, 409 for a key rolled already, 400 for a bad grace")
    func rules() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let (user, key) = try await harness.account("ada@example.com")
        let (bob, _) = try await harness.account("bob@example.com")
        let operations = harness.services.operations
        let revoked = try await operations.createAPIKey(NewAPIKey(name: "revoked"), by: .operator(user)).record.id
        try await operations.revokeAPIKey(revoked.description, by: .operator(user))
        let expiring = try await operations.createAPIKey(NewAPIKey(name: "expired", expiresInDays: 1), by: .operator(user)).record.id
        let bobs = try #require(harness.store.read { $0.activeKeys(of: bob).first?.id })
        let twice = try await operations.createAPIKey(NewAPIKey(name: "twice"), by: .operator(user)).record.id
        try await harness.application.test(.router) { client in
            func roll(_ id: String, _ body: String = #"{"graceSeconds": 60}"#) async throws -> TestResponse {
                try await client.send(.post, "/api/auth/api-keys/\(id)/roll", key: key, json: body)
            }
            #expect(try await roll(twice.description).status == .created)
            let again = try await roll(twice.description)
            #expect(again.status == .conflict)
            #expect(again.code == "api_key_expiring")
            #expect(try await roll(APIKeyID.random().description).status == .notFound)
            #expect(try await roll("not-an-id").status == .notFound)
            #expect(try await roll(revoked.description).status == .notFound)
            let forbidden = try await roll(bobs.description)
            #expect(forbidden.status == .forbidden)
            time.advance(milliseconds: 86_400_000)
            #expect(try await roll(expiring.description).status == .notFound)
            for body in [#"{}"#, #"{"graceSeconds": -1}"#, #"{"graceSeconds": 604801}"#, #"{"graceSeconds": 1.5}"#, #"{"graceSeconds": "60"}"#] {
                let refused = try await roll(twice.description, body)
                #expect(refused.status == .badRequest, "\(body)")
                #expect((refused.object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } == ["graceSeconds"], "\(body)")
            }
            #expect(try await roll(bobs.description, #"{"graceSeconds": 604800}"#).status == .forbidden)
        }
        #expect(harness.store.read { $0.activeKeys(of: bob).count } == 1, "bob's key was not rolled")
    }

    @Test("a roll racing requests with the old key: each request is served wholly before it or refused after it")
    func rollRacesRequests() async throws {
        let harness = TestHarness()
        let (user, key) = try await harness.account("ada@example.com")
        let keyID = try #require(harness.store.read { $0.activeKeys(of: user).first?.id })
        // Every commit, in order: no desktop may be created with the old key after the roll's commit.
        let kinds = Mutex<[String]>([])
        harness.store.observe { committed in kinds.withLock { $0.append(committed.mutation.kind) } }
        try await harness.application.test(.router) { client in
            let (statuses, rollStatus) = try await withThrowingTaskGroup(of: HTTPResponse.Status?.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await client.send(.post, "/api/desktops", key: key, json: "{\"name\": \"racer \(index)\"}").status
                    }
                }
                group.addTask {
                    let rolled = try await client.send(.post, "/api/auth/api-keys/\(keyID)/roll", key: key, json: #"{"graceSeconds": 0}"#)
                    #expect(rolled.status == .created)
                    return nil
                }
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { if let status { statuses.append(status) } }
                return (statuses, HTTPResponse.Status.created)
            }
            #expect(rollStatus == .created)
            #expect(statuses.allSatisfy { $0 == .created || $0 == .unauthorized }, "\(statuses)")
            let created = statuses.filter { $0 == .created }.count
            let committed = kinds.withLock { $0 }
            let rollIndex = try #require(committed.firstIndex(of: "api_key.rolled"))
            #expect(!committed[rollIndex...].contains("desktop.created"), "\(committed)")
            #expect(committed.filter { $0 == "desktop.created" }.count == created)
            #expect(harness.store.read { $0.desktops.count } == created)
            #expect(try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "late"}"#).status == .unauthorized)
        }
    }

    @Test("applying a roll: the old key expires and is marked rolled, the successor is active, two events; a second roll is inconsistent")
    func rollIsPersisted() throws {
        let user = User(id: .random(), email: "a@example.com", name: "A", createdAt: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000))
        var state = StoreState()
        let old = APIKeyRecord(
            id: .random(),
            userID: user.id,
            name: "ci",
            lookupID: "OldLookupId1",
            secretHash: "h",
            lastFour: "abcd",
            createdAt: user.createdAt
        )
        let successor = APIKeyRecord(
            id: .random(),
            userID: user.id,
            name: "ci",
            lookupID: "NewLookupId1",
            secretHash: "h2",
            lastFour: "efgh",
            createdAt: user.createdAt.adding(milliseconds: 10)
        )
        let roll = APIKeyRoll(id: old.id, expiresAt: user.createdAt.adding(milliseconds: 60_000), successor: successor, at: successor.createdAt)
        _ = try state.apply(.userCreated(user), sequence: 1)
        _ = try state.apply(.apiKeyCreated(old), sequence: 2)
        let events = try state.apply(.apiKeyRolled(roll), sequence: 3)
        #expect(events.map(\.kind) == [.apiKeyRolled, .apiKeyCreated])
        #expect(state.apiKeys[old.id]?.isRolled == true)
        #expect(state.apiKeys[old.id]?.expiresAt == roll.expiresAt)
        #expect(state.activeKey(lookupID: "NewLookupId1")?.id == successor.id)
        #expect(throws: InconsistentMutation.self) { try state.validate(.apiKeyRolled(roll)) }
    }
}
