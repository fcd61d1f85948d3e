import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Testing

@Suite("The activity stream through real sockets")
struct ActivityStreamLiveTests {
    static let stream = "/api/mission-control/activity/stream"

    @Test("a stream starts with retry:, carries the SSE headers, and receives an event created through the API")
    func receivesEvent() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key)]) { sse in
                #expect(sse.head.status == .ok)
                #expect(sse.head.headers["Content-Type"].first?.hasPrefix("text/event-stream") == true)
                #expect(sse.head.headers["Cache-Control"].first == "no-cache")
                #expect(sse.head.headers["X-Accel-Buffering"].first == "no")
                #expect(try await sse.next()?.retry == "3000")
                let created = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "Build box"}"#)
                let event = try #require(try await sse.nextEvent())
                #expect(event.event == "desktop.created")
                #expect(event.id.flatMap(ActivityEventID.init) != nil)
                let payload = try Self.json(event.data)
                #expect(payload["type"] as? String == "desktop.created")
                #expect((payload["at"] as? String)?.hasSuffix("Z") == true)
                #expect((payload["data"] as? [String: Any])?["id"] as? String == created.object["id"] as? String)
            }
        }
    }

    @Test("two users' streams see only their own events; a Bearer header works too")
    func usersIsolated() async throws {
        let harness = TestHarness()
        let (_, ada) = try await harness.account("ada@example.com")
        let (_, bob) = try await harness.account("bob@example.com")
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", ada)]) { adaStream in
                try await SSEClient.open(port: port, Self.stream, headers: [("Authorization", "Bearer \(bob)")]) { bobStream in
                    try await client.send(.post, "/api/desktops", key: bob, json: #"{"name": "Bob's"}"#)
                    try await client.send(.post, "/api/desktops", key: ada, json: #"{"name": "Ada's"}"#)
                    let bobEvent = try #require(try await bobStream.nextEvent())
                    #expect(try Self.name(bobEvent) == "Bob's")
                    // Ada's first event is her own: Bob's, committed before it, never reached her stream.
                    let adaEvent = try #require(try await adaStream.nextEvent())
                    #expect(try Self.name(adaEvent) == "Ada's")
                }
            }
        }
    }

    @Test("a reconnect with Last-Event-ID (header or query) gets exactly the missed events, then live ones")
    func resumeWithoutGapOrDuplicate() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let firstID = try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key)]) { sse in
                try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "one"}"#)
                return try #require(try await sse.nextEvent()?.id)
            }
            for name in ["two", "three"] { try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "\#(name)"}"#) }
            let lastID = try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key), ("Last-Event-ID", firstID)]) { sse in
                var names: [String] = []
                var ids: [ActivityEventID] = []
                for _ in 0..<2 {
                    let event = try #require(try await sse.nextEvent())
                    names.append(try Self.name(event))
                    ids.append(try #require(event.id.flatMap(ActivityEventID.init)))
                }
                try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "four"}"#)
                let live = try #require(try await sse.nextEvent())
                names.append(try Self.name(live))
                ids.append(try #require(live.id.flatMap(ActivityEventID.init)))
                #expect(names == ["two", "three", "four"])
                #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
                return ids[1].description
            }
            // The query form, with the key in the query as an EventSource would send it.
            try await SSEClient.open(port: port, "\(Self.stream)?apiKey=\(key)&lastEventId=\(lastID)") { sse in
                #expect(sse.head.status == .ok)
                let event = try #require(try await sse.nextEvent())
                #expect(try Self.name(event) == "four")
            }
        }
    }

    @Test("an id older than what is kept gets event: reset first; a malformed id gets 400")
    func resetAfterTooOldID() async throws {
        let harness = TestHarness(activityCapacity: 2)
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            for name in ["a", "b", "c", "d"] { try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "\#(name)"}"#) }
            let port = try #require(client.port)
            // Sequence 2 is the key's own creation, long since dropped from a history of two events.
            try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key), ("Last-Event-ID", "2")]) { sse in
                let reset = try #require(try await sse.nextEvent())
                #expect(reset.event == "reset")
                #expect(reset.id == "6")
                #expect(try Self.json(reset.data)["type"] as? String == "reset")
                try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "e"}"#)
                let next = try #require(try await sse.nextEvent())
                #expect(next.id == "7")
                #expect(try Self.name(next) == "e")
            }
            for bad in ["abc", "-1", "1.0"] {
                let response = try await client.send(.get, Self.stream, key: key, headers: [HTTPField.Name("Last-Event-ID")!: bad])
                #expect(response.status == .badRequest, "\(bad)")
            }
            #expect(try await client.send(.get, "\(Self.stream)?lastEventId=x", key: key).status == .badRequest)
        }
    }

    @Test("revoking a key closes at once the streams it opened, and only those")
    func revokeClosesStream() async throws {
        let harness = TestHarness()
        let (user, revoked) = try await harness.account("ada@example.com")
        let other = try await harness.key(for: user, name: "other")
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let keys = try await client.send(.get, "/api/auth/api-keys", key: other).items
            let revokedID = try #require(keys.first { ($0["name"] as? String) == "test" }?["id"] as? String)
            try await SSEClient.open(port: port, "\(Self.stream)?apiKey=\(revoked)", timeout: .seconds(30)) { doomed in
                try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", other)]) { survivor in
                    #expect(try await doomed.next()?.retry != nil)
                    let start = ContinuousClock.now
                    #expect(try await client.send(.delete, "/api/auth/api-keys/\(revokedID)", key: other).status == .noContent)
                    while try await doomed.next() != nil {}
                    #expect(ContinuousClock.now - start < .seconds(15), "closed at once, not by the test's timeout")
                    let event = try #require(try await survivor.nextEvent())
                    #expect(event.event == "api_key.revoked")
                    let data = try #require(try Self.json(event.data)["data"] as? [String: Any])
                    #expect(Set(data.keys) == ["id", "name", "preview", "createdAt"])
                }
            }
            #expect(try await client.send(.get, "\(Self.stream)?apiKey=\(revoked)").status == .unauthorized)
        }
        #expect(harness.services.activity.openStreams == 0)
    }

    static func json(_ text: String?) throws -> [String: Any] {
        let data = Data(try #require(text).utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func name(_ event: SSEBlock) throws -> String {
        let payload = try json(event.data)
        return try #require((payload["data"] as? [String: Any])?["name"] as? String)
    }
}
