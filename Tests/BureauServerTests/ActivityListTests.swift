import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("GET /api/mission-control/activity")
struct ActivityListTests {
    @Test("pages run newest first with a cursor, and hold only the caller's events")
    func pages() async throws {
        let harness = TestHarness()
        let (_, ada) = try await harness.account("ada@example.com")
        let (_, bob) = try await harness.account("bob@example.com")
        try await harness.application.test(.router) { client in
            for name in ["a", "b", "c"] { try await client.send(.post, "/api/desktops", key: ada, json: #"{"name": "\#(name)"}"#) }
            try await client.send(.post, "/api/desktops", key: bob, json: #"{"name": "bob's"}"#)
            let first = try await client.send(.get, "/api/mission-control/activity?limit=2", key: ada)
            #expect(first.status == .ok)
            #expect(first.items.map { $0["type"] as? String } == ["desktop.created", "desktop.created"])
            #expect(first.items.map { ($0["data"] as? [String: Any])?["name"] as? String } == ["c", "b"])
            let cursor = try #require(first.object["nextCursor"] as? String)
            let second = try await client.send(.get, "/api/mission-control/activity?limit=2&cursor=\(cursor)", key: ada)
            #expect(second.items.map { $0["type"] as? String } == ["desktop.created", "api_key.created"])
            #expect(second.object["nextCursor"] is NSNull)
            let ids = (first.items + second.items).compactMap { ($0["id"] as? String).flatMap(ActivityEventID.init) }
            #expect(ids.count == 4 && zip(ids, ids.dropFirst()).allSatisfy { $0 > $1 })
            let bobs = try await client.send(.get, "/api/mission-control/activity", key: bob)
            #expect(bobs.items.count == 2)
            #expect(try await client.send(.get, "/api/mission-control/activity?cursor=nope", key: ada).status == .badRequest)
            #expect(try await client.send(.get, "/api/mission-control/activity").status == .unauthorized)
            // The query key is honoured on the stream only.
            #expect(try await client.send(.get, "/api/mission-control/activity?apiKey=\(ada)").status == .unauthorized)
        }
    }
}
