import BureauServer
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Errors")
struct ErrorTests {
    @Test(
        "malformed and non-object bodies are 400 problems",
        arguments: [
            "{", "nope", "[]", "\"string\"", "42", "null", "{\"name\": \"\\ud800\"}",
            String(repeating: "[", count: 5000),
        ]
    )
    func malformedBodies(body: String) async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let response = try await client.send(.post, "/api/desktops", key: key, json: body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.code == "malformed_json" || response.code == "invalid_request")
        }
    }

    @Test("a field given twice is a 400 naming it, and nothing is created")
    func duplicateField() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let before = try await client.send(.get, "/api/desktops", key: key)
            let response = try await client.send(.post, "/api/desktops", key: key, json: "{\"name\": \"one\", \"name\": \"two\"}")
            #expect(response.status == .badRequest)
            #expect(response.code == "malformed_json")
            #expect((response.object["detail"] as? String)?.contains("\"name\" appears twice") == true)
            let listed = try await client.send(.get, "/api/desktops", key: key)
            #expect((listed.object["data"] as? [Any])?.count == (before.object["data"] as? [Any])?.count)
        }
    }

    @Test("invalid UTF-8 and an empty body are 400")
    func invalidBytes() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            var headers = HTTPFields()
            headers[HTTPField.Name("x-api-key")!] = key
            let invalid = try await client.execute(
                uri: "/api/desktops",
                method: .post,
                headers: headers,
                body: ByteBuffer(bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
            )
            #expect(invalid.status == .badRequest)
            let empty = try await client.execute(uri: "/api/desktops", method: .post, headers: headers, body: nil)
            #expect(empty.status == .badRequest)
        }
    }

    @Test("unicode names round-trip")
    func unicode() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let name = "Bureau 🇫🇷 — çà et là \u{0301}"
            let created = try await client.send(.post, "/api/desktops", key: key, json: "{\"name\": \"\(name)\"}")
            #expect(created.status == .created)
            #expect(created.object["name"] as? String == name)
        }
    }

    @Test("a body over the limit is 413")
    func tooLarge() async throws {
        var settings = TestHarness.settings
        settings.maxBodyBytes = 2048
        let harness = TestHarness(settings: settings)
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let big = "{\"name\": \"\(String(repeating: "a", count: 4096))\"}"
            let response = try await client.send(.post, "/api/desktops", key: key, json: big)
            #expect(response.status == .contentTooLarge)
            #expect(response.code == "body_too_large")
        }
    }

    @Test("a known path with another method is 405 with Allow; an unknown path 404; both problems with a request id")
    func routing() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.router) { client in
            let wrongMethod = try await client.send(.put, "/api/desktops", key: key)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, POST")
            let onID = try await client.send(.post, "/api/desktops/\(DesktopID.random())", key: key)
            #expect(onID.status == .methodNotAllowed)
            #expect(onID.headers[.allow] == "DELETE, GET, PATCH")
            // A literal route beside a parameterised one: the router takes the literal, so only its methods.
            let literal = try await client.send(.delete, "/api/auth/api-keys/report", key: key)
            #expect(literal.status == .methodNotAllowed)
            #expect(literal.headers[.allow] == "POST")
            let parameterised = try await client.send(.put, "/api/auth/api-keys/\(APIKeyID.random())", key: key)
            #expect(parameterised.status == .methodNotAllowed)
            #expect(parameterised.headers[.allow] == "DELETE, GET")
            let unknown = try await client.send(.get, "/api/nothing-here", key: key)
            #expect(unknown.status == .notFound)
            #expect(unknown.code == "not_found")
            let unauthenticatedProbe = try await client.send(.get, "/api/nothing-here")
            #expect(unauthenticatedProbe.status == .unauthorized)
            for response in [wrongMethod, onID, unknown, unauthenticatedProbe] {
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[HTTPField.Name("x-request-id")!]?.isEmpty == false)
            }
        }
    }

    @Test("a public route's path with another method is 405 without credentials, its parameters filled in or not")
    func publicRouteWrongMethod() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client in
            for (method, path, allow) in [
                (HTTPRequest.Method.trace, "/api/auth/oauth/github", "GET"),
                (.post, "/api/auth/oauth/some-provider/callback", "GET"),
                (.delete, "/api/openapi.json", "GET"),
                (.put, "/api/auth/providers", "GET"),
            ] {
                let response = try await client.send(method, path)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
            }
            // A route that needs credentials still asks for them first.
            let desktops = try await client.send(.put, "/api/desktops/some-id")
            #expect(desktops.status == .unauthorized)
        }
    }

    @Test("request ids differ per request")
    func requestIDs() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client in
            var ids = Set<String>()
            for _ in 0..<20 {
                let response = try await client.send(.get, "/healthz")
                ids.insert(response.headers[HTTPField.Name("x-request-id")!] ?? "")
            }
            #expect(ids.count == 20)
        }
    }

    @Test("hostile input never produces a 500")
    func noServerErrors() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let fragments = [
            "{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0", "\"name\"", "\"status\"", "\"running\"", "\"type\"",
            "\"prompt\"", "\"content\"", "\"desktopId\"", "\\u0000", "🙂", "\u{7F}", "9999999999999999999999",
        ]
        try await harness.application.test(.router) { client in
            let desktop = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "d"}"#)
            let desktopID = desktop.object["id"] as? String ?? ""
            let task = try await client.send(
                .post,
                "/api/mission-control/tasks",
                key: key,
                json: "{\"type\": \"prompt\", \"content\": \"x\", \"desktopId\": \"\(desktopID)\"}"
            )
            let taskID = task.object["id"] as? String ?? ""
            let targets: [(HTTPRequest.Method, String)] = [
                (.post, "/api/desktops"), (.patch, "/api/desktops/\(desktopID)"), (.post, "/api/mission-control/tasks"),
                (.patch, "/api/mission-control/tasks/\(taskID)"), (.post, "/api/auth/api-keys"),
            ]
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<300 {
                let count = Int.random(in: 0...12, using: &rng)
                let body = (0..<count).map { _ in fragments.randomElement(using: &rng)! }.joined()
                let (method, path) = targets.randomElement(using: &rng)!
                let response = try await client.send(method, path, key: key, json: body)
                #expect(response.status.code < 500, "\(method) \(path) \(body) → \(response.status)")
            }
        }
    }
}
