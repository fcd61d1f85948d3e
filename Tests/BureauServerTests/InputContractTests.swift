import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The contract as an outside fuzzer reads it: opaque ids, explicit nulls, control characters")
struct InputContractTests {
    /// The offending fields a 400 lists.
    static func fields(_ response: TestResponse) -> [String] {
        (response.object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
    }

    @Test("an id of any shape that names nothing is 404, in a path, a body and a filter")
    func opaqueIDs() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client async throws in
            for id in ["00", "not-a-uuid", DesktopID.random().description, String(repeating: "f", count: 200)] {
                #expect(try await client.send(.get, "/api/desktops/\(id)", key: key).status == .notFound, "\(id)")
                #expect(try await client.send(.patch, "/api/desktops/\(id)", key: key, json: #"{"name": "x"}"#).status == .notFound)
                #expect(try await client.send(.delete, "/api/desktops/\(id)", key: key).status == .notFound)
                #expect(try await client.send(.get, "/api/mission-control/tasks/\(id)", key: key).status == .notFound)
                #expect(try await client.send(.get, "/api/mission-control/tasks?desktopId=\(id)", key: key).status == .notFound)
                #expect(try await client.send(.delete, "/api/auth/api-keys/\(id)", key: key).status == .notFound)
                let task = #"{"type": "prompt", "content": "x", "desktopId": "\#(id)"}"#
                #expect(try await client.send(.post, "/api/mission-control/tasks", key: key, json: task).status == .notFound)
            }
        }
    }

    @Test("an explicit null is not taken as absent: 400 naming the field")
    func explicitNull() async throws {
        let harness = SessionHarness()
        let (_, key) = try await harness.harness.account("ada@example.com")
        try await harness.harness.application.test(.router) { client async throws in
            let desktop = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "Desk"}"#)
            let id = try #require(desktop.object["id"] as? String)
            let patch = try await client.send(.patch, "/api/desktops/\(id)", key: key, json: #"{"name": "x", "status": null}"#)
            #expect(patch.status == .badRequest && Self.fields(patch) == ["status"])
            #expect(try await client.send(.get, "/api/desktops/\(id)", key: key).object["name"] as? String == "Desk")
            let create = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "x", "status": null}"#)
            #expect(create.status == .badRequest && Self.fields(create) == ["status"])
            let login = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "bob@example.com", "name": null}"#)
            #expect(login.status == .badRequest && Self.fields(login) == ["name"])
            #expect(login.headers[.setCookie] == nil)
            let task = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: #"{"type": "prompt", "content": "x", "desktopId": "\#(id)", "result": 1}"#
            )
            #expect(task.status == .created, "unknown fields are ignored")
            let status = try await client.send(
                .patch,
                "/api/mission-control/tasks/\(task.object["id"] as? String ?? "")",
                key: key,
                json: #"{"status": "running", "result": null}"#
            )
            #expect(status.status == .badRequest && Self.fields(status) == ["result"])
        }
        #expect(harness.store.read { $0.user(email: "bob@example.com") } == nil)
    }

    @Test("display names with control characters are refused with a 400 naming the field, and nothing is written")
    func controlCharacters() async throws {
        let harness = SessionHarness()
        let (user, key) = try await harness.harness.account("ada@example.com")
        try await harness.harness.application.test(.router) { client async throws in
            for name in ["\\u001b]0;pwned\\u0007", "ring\\u0007", "\\u202Egnp.exe", "a\\u0000b", "\\u009b31m"] {
                let keyAnswer = try await client.send(.post, "/api/auth/api-keys", key: key, json: #"{"name": "\#(name)"}"#)
                #expect(keyAnswer.status == .badRequest && Self.fields(keyAnswer) == ["name"], "\(name)")
                let desktop = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "\#(name)"}"#)
                #expect(desktop.status == .badRequest && Self.fields(desktop) == ["name"])
                let login = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "eve@example.com", "name": "\#(name)"}"#)
                #expect(login.status == .badRequest && Self.fields(login) == ["name"])
            }
            let both = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "\u0007", "status": "paused"}"#)
            #expect(Self.fields(both) == ["name", "status"])
        }
        #expect(harness.store.read { $0.activeKeys(of: user).count } == 1)
        #expect(harness.store.read { $0.desktops.isEmpty && $0.users.count == 1 })
    }
}
