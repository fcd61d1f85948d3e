import BureauServer
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Desktops endpoints")
struct DesktopsTests {
    @Test("create, show, rename, stop, delete")
    func lifecycle() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let created = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "Build box"}"#)
            #expect(created.status == .created)
            let desktop = created.object
            #expect(Set(desktop.keys) == ["id", "name", "status", "createdAt", "updatedAt"])
            #expect(desktop["status"] as? String == "running")
            let id = try #require(desktop["id"] as? String)
            #expect(DesktopID(id) != nil)
            #expect((desktop["createdAt"] as? String)?.hasSuffix("Z") == true)

            let shown = try await client.send(.get, "/api/desktops/\(id)", key: key)
            #expect(shown.object["name"] as? String == "Build box")

            let patched = try await client.send(.patch, "/api/desktops/\(id)", key: key, json: #"{"name": "Renamed", "status": "stopped"}"#)
            #expect(patched.status == .ok)
            #expect(patched.object["name"] as? String == "Renamed")
            #expect(patched.object["status"] as? String == "stopped")

            let deleted = try await client.send(.delete, "/api/desktops/\(id)", key: key)
            #expect(deleted.status == .noContent)
            let gone = try await client.send(.get, "/api/desktops/\(id)", key: key)
            #expect(gone.status == .notFound)
            #expect(gone.code == "not_found")
        }
    }

    @Test("another user's desktop is 403 on every verb, a missing one 404, a malformed id 404")
    func ownership() async throws {
        let harness = TestHarness()
        let (_, ada) = try await harness.account("ada@example.com")
        let (_, bob) = try await harness.account("bob@example.com")
        try await harness.application.test(.router) { client in
            let created = try await client.send(.post, "/api/desktops", key: bob, json: #"{"name": "Bob's"}"#)
            let id = try #require(created.object["id"] as? String)
            let show = try await client.send(.get, "/api/desktops/\(id)", key: ada)
            let patch = try await client.send(.patch, "/api/desktops/\(id)", key: ada, json: #"{"name": "mine"}"#)
            let delete = try await client.send(.delete, "/api/desktops/\(id)", key: ada)
            for response in [show, patch, delete] {
                #expect(response.status == .forbidden)
                #expect(!response.text.contains("Bob's"))
            }
            let still = try await client.send(.get, "/api/desktops/\(id)", key: bob)
            #expect(still.object["name"] as? String == "Bob's")
            let missing = try await client.send(.get, "/api/desktops/\(DesktopID.random())", key: ada)
            #expect(missing.status == .notFound)
            for bad in ["nope", "00000000-0000-0000-0000", "%00", "🙂"] {
                let response = try await client.send(.get, "/api/desktops/\(bad)", key: ada)
                #expect(response.status == .notFound, "\(bad)")
            }
            let adaList = try await client.send(.get, "/api/desktops", key: ada)
            #expect(adaList.items.isEmpty)
        }
    }

    @Test("pagination walks every desktop once with an opaque cursor")
    func pagination() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            var names: [String] = []
            for index in 0..<7 {
                let name = "D\(index)"
                names.append(name)
                _ = try await client.send(.post, "/api/desktops", key: key, json: "{\"name\": \"\(name)\"}")
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/api/desktops?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.send(.get, uri, key: key)
                #expect(page.status == .ok)
                #expect(page.items.count <= 3)
                seen += page.items.compactMap { $0["name"] as? String }
                cursor = page.object["nextCursor"] as? String
                #expect(page.object.keys.contains("nextCursor"))
            } while cursor != nil
            #expect(seen == names)
        }
    }

    @Test("bad list parameters are 400 naming the parameter")
    func badParameters() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            for (query, field) in [
                ("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"), ("cursor=zzz", "cursor"), ("cursor=dGFza3M6MQ", "cursor"),
            ] {
                let response = try await client.send(.get, "/api/desktops?\(query)", key: key)
                #expect(response.status == .badRequest, "\(query)")
                #expect((response.object["errors"] as? [[String: Any]])?.first?["field"] as? String == field)
            }
        }
    }

    @Test("PATCH fields must be valid; unknown fields are ignored; an empty PATCH changes nothing and answers the desktop")
    func patchValidation() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let created = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "x", "color": "blue"}"#)
            #expect(created.status == .created)
            let id = try #require(created.object["id"] as? String)
            let before = try await client.send(.get, "/api/desktops/\(id)", key: key)
            for body in [#"{}"#, #"{"color": "red"}"#] {
                let response = try await client.send(.patch, "/api/desktops/\(id)", key: key, json: body)
                #expect(response.status == .ok, "\(body)")
                #expect(response.text == before.text, "\(body)")
            }
            let events = try await client.send(.get, "/api/mission-control/activity", key: key)
            #expect(events.items.filter { $0["type"] as? String == "desktop.updated" }.isEmpty)
            for body in [#"{"status": "paused"}"#, #"{"name": ""}"#, #"{"name": ["a"]}"#] {
                let response = try await client.send(.patch, "/api/desktops/\(id)", key: key, json: body)
                #expect(response.status == .badRequest, "\(body)")
            }
            let unchanged = try await client.send(.get, "/api/desktops/\(id)", key: key)
            #expect(unchanged.object["name"] as? String == "x")
        }
    }
}
