import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Tasks endpoints")
struct TasksTests {
    /// An account with one desktop: (key, desktop id).
    static func accountWithDesktop(_ harness: TestHarness, _ client: some TestClientProtocol, email: String) async throws -> (String, String) {
        let (_, key) = try await harness.account(email)
        let desktop = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "Desk"}"#)
        return (key, desktop.object["id"] as? String ?? "")
    }

    @Test("create as in the product's example, then walk the status machine")
    func lifecycle() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client async throws in
            let (key, desktop) = try await Self.accountWithDesktop(harness, client, email: "ada@example.com")
            let created = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: "{\"type\": \"prompt\", \"content\": \"Run tests\", \"desktopId\": \"\(desktop)\"}"
            )
            #expect(created.status == .created)
            let task = created.object
            #expect(Set(task.keys) == ["id", "type", "content", "desktopId", "status", "result", "createdAt", "updatedAt"])
            #expect(task["status"] as? String == "queued")
            #expect(task["result"] is NSNull)
            let id = try #require(task["id"] as? String)

            let conflict = try await client.send(.patch, "/api/mission-control/tasks/\(id)", key: key, json: #"{"status": "completed"}"#)
            #expect(conflict.status == .conflict)
            #expect(conflict.code == "invalid_transition")
            let running = try await client.send(.patch, "/api/mission-control/tasks/\(id)", key: key, json: #"{"status": "running"}"#)
            #expect(running.object["status"] as? String == "running")
            let done = try await client.send(
                .patch,
                "/api/mission-control/tasks/\(id)",
                key: key,
                json: #"{"status": "completed", "result": "all green"}"#
            )
            #expect(done.object["status"] as? String == "completed")
            #expect(done.object["result"] as? String == "all green")
            let again = try await client.send(.patch, "/api/mission-control/tasks/\(id)", key: key, json: #"{"status": "cancelled"}"#)
            #expect(again.status == .conflict)
            let shown = try await client.send(.get, "/api/mission-control/tasks/\(id)", key: key)
            #expect(shown.object["status"] as? String == "completed")
        }
    }

    @Test("desktopId: missing desktop 404 whatever the id's shape (ids are opaque), another user's 403")
    func desktopChecks() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client async throws in
            let (ada, _) = try await Self.accountWithDesktop(harness, client, email: "ada@example.com")
            let (_, bobDesktop) = try await Self.accountWithDesktop(harness, client, email: "bob@example.com")
            func create(_ desktop: String) async throws -> TestResponse {
                try await client.send(
                    .post,
                    "/api/mission-control/tasks",
                    key: ada,
                    json: "{\"type\": \"prompt\", \"content\": \"x\", \"desktopId\": \"\(desktop)\"}"
                )
            }
            #expect(try await create(DesktopID.random().description).status == .notFound)
            #expect(try await create(bobDesktop).status == .forbidden)
            for opaque in ["not-an-id", "00", "%2F", String(repeating: "a", count: 300)] {
                let answer = try await create(opaque)
                #expect(answer.status == .notFound, "\(opaque)")
                #expect(answer.code == "not_found")
            }
            let empty = try await create("")
            #expect(empty.status == .badRequest)
            #expect((empty.object["errors"] as? [[String: Any]])?.first?["field"] as? String == "desktopId")
        }
    }

    @Test("every invalid field is listed at once")
    func fieldErrors() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client async throws in
            let response = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: #"{"type": "shell", "content": "", "desktopId": 3}"#
            )
            #expect(response.status == .badRequest)
            let fields = Set((response.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["type", "content", "desktopId"])
            let tooLong = String(repeating: "a", count: 100_001)
            let long = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: "{\"type\": \"prompt\", \"content\": \"\(tooLong)\", \"desktopId\": \"x\"}"
            )
            #expect(long.status == .badRequest)
        }
    }

    @Test("the same Idempotency-Key and body returns the first answer and creates one task")
    func idempotency() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client async throws in
            let (key, desktop) = try await Self.accountWithDesktop(harness, client, email: "ada@example.com")
            let body = "{\"type\": \"prompt\", \"content\": \"Run tests\", \"desktopId\": \"\(desktop)\"}"
            var headers = HTTPFields()
            headers[HTTPField.Name("Idempotency-Key")!] = "retry-123"
            let first = try await client.send(.post, "/api/mission-control/tasks", key: key, json: body, headers: headers)
            #expect(first.status == .created)
            let id = try #require(first.object["id"] as? String)
            _ = try await client.send(.patch, "/api/mission-control/tasks/\(id)", key: key, json: #"{"status": "running"}"#)
            let second = try await client.send(.post, "/api/mission-control/tasks", key: key, json: body, headers: headers)
            #expect(second.status == .created)
            #expect(second.text == first.text)
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let list = try await client.send(.get, "/api/mission-control/tasks", key: key)
            #expect(list.items.count == 1)

            let reused = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: body.replacingOccurrences(of: "Run", with: "Skip"),
                headers: headers
            )
            #expect(reused.status == .conflict)
            #expect(reused.code == "idempotency_key_reused")

            // Another user's identical key is a different scope.
            let (bob, bobDesktop) = try await Self.accountWithDesktop(harness, client, email: "bob@example.com")
            let bobBody = "{\"type\": \"prompt\", \"content\": \"Run tests\", \"desktopId\": \"\(bobDesktop)\"}"
            let bobs = try await client.send(.post, "/api/mission-control/tasks", key: bob, json: bobBody, headers: headers)
            #expect(bobs.status == .created)
            #expect(bobs.object["id"] as? String != id)

            headers[HTTPField.Name("Idempotency-Key")!] = String(repeating: "k", count: 256)
            let bad = try await client.send(.post, "/api/mission-control/tasks", key: key, json: body, headers: headers)
            #expect(bad.status == .badRequest)
        }
    }

    @Test("listing: newest first, filters, pagination, isolation")
    func listing() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client async throws in
            let (key, desktop) = try await Self.accountWithDesktop(harness, client, email: "ada@example.com")
            let (bob, _) = try await Self.accountWithDesktop(harness, client, email: "bob@example.com")
            var ids: [String] = []
            for index in 0..<5 {
                let created = try await client.send(
                    .post,
                    "/api/mission-control/tasks",
                    key: key,
                    json: "{\"type\": \"prompt\", \"content\": \"t\(index)\", \"desktopId\": \"\(desktop)\"}"
                )
                ids.append(created.object["id"] as? String ?? "")
            }
            _ = try await client.send(.patch, "/api/mission-control/tasks/\(ids[1])", key: key, json: #"{"status": "cancelled"}"#)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await client.send(.get, "/api/mission-control/tasks?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
                seen += page.items.compactMap { $0["id"] as? String }
                cursor = page.object["nextCursor"] as? String
            } while cursor != nil
            #expect(seen == ids.reversed())
            let cancelled = try await client.send(.get, "/api/mission-control/tasks?status=cancelled", key: key)
            #expect(cancelled.items.compactMap { $0["id"] as? String } == [ids[1]])
            let byDesktop = try await client.send(.get, "/api/mission-control/tasks?desktopId=\(desktop)", key: key)
            #expect(byDesktop.items.count == 5)
            #expect(try await client.send(.get, "/api/mission-control/tasks?status=paused", key: key).status == .badRequest)
            #expect(try await client.send(.get, "/api/mission-control/tasks?desktopId=\(desktop)", key: bob).status == .forbidden)
            let bobs = try await client.send(.get, "/api/mission-control/tasks", key: bob)
            #expect(bobs.items.isEmpty)
            #expect(try await client.send(.get, "/api/mission-control/tasks/\(ids[0])", key: bob).status == .forbidden)
            #expect(
                try await client.send(.patch, "/api/mission-control/tasks/\(ids[0])", key: bob, json: #"{"status": "running"}"#).status == .forbidden
            )
        }
    }

    @Test("deleting a desktop cancels its unfinished tasks")
    func desktopDeletion() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client async throws in
            let (key, desktop) = try await Self.accountWithDesktop(harness, client, email: "ada@example.com")
            let created = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: "{\"type\": \"prompt\", \"content\": \"x\", \"desktopId\": \"\(desktop)\"}"
            )
            let id = try #require(created.object["id"] as? String)
            _ = try await client.send(.delete, "/api/desktops/\(desktop)", key: key)
            let task = try await client.send(.get, "/api/mission-control/tasks/\(id)", key: key)
            #expect(task.object["status"] as? String == "cancelled")
            let onDeleted = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: "{\"type\": \"prompt\", \"content\": \"x\", \"desktopId\": \"\(desktop)\"}"
            )
            #expect(onDeleted.status == .notFound)
        }
    }
}
