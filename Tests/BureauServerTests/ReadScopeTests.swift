import BureauAuth
import BureauServer
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Read-only API keys")
struct ReadScopeTests {
    /// A user with a full key, a read key, a desktop and a task: (user, full key, read key, read key's id).
    static func account(_ harness: TestHarness) async throws -> (UserID, String, String, APIKeyID) {
        let (user, full) = try await harness.account("ada@example.com")
        let read = try await harness.services.operations.createAPIKey(NewAPIKey(name: "reader", scope: "read"), by: .operator(user))
        return (user, full, read.plaintext, read.record.id)
    }

    @Test("scope is full by default, read on request, shown on creation, in the listing and in /api/auth/me")
    func scopeShows() async throws {
        let harness = TestHarness()
        let (_, full, read, readID) = try await Self.account(harness)
        try await harness.application.test(.router) { client in
            let plain = try await client.send(.post, "/api/auth/api-keys", key: full, json: #"{"name": "plain"}"#)
            #expect(plain.object["scope"] as? String == "full")
            let reader = try await client.send(.post, "/api/auth/api-keys", key: full, json: #"{"name": "second reader", "scope": "read"}"#)
            #expect(reader.status == .created)
            #expect(reader.object["scope"] as? String == "read")
            let list = try await client.send(.get, "/api/auth/api-keys", key: read)
            #expect(list.status == .ok, "a read key reads")
            let scopes = Dictionary(uniqueKeysWithValues: list.items.map { ($0["name"] as? String ?? "", $0["scope"] as? String ?? "") })
            #expect(scopes == ["test": "full", "reader": "read", "plain": "full", "second reader": "read"])
            let me = try await client.send(.get, "/api/auth/me", key: read)
            #expect(me.object["scope"] as? String == "read")
            #expect(me.object["apiKeyId"] as? String == readID.description)
            #expect(try await client.send(.get, "/api/auth/me", key: full).object["scope"] as? String == "full")
            for bad in [#""admin""#, #""READ""#, "1", "null"] {
                let refused = try await client.send(.post, "/api/auth/api-keys", key: full, json: "{\"name\": \"x\", \"scope\": \(bad)}")
                #expect(refused.status == .badRequest, "\(bad)")
                #expect((refused.object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } == ["scope"])
            }
        }
    }

    @Test("every route of the router: a read key gets 403 insufficient_scope on each state-changing method, never on a read")
    func everyRoute() async throws {
        var settings = TestHarness.settings
        settings.devLogin = true
        let harness = TestHarness(settings: settings)
        let (user, full, read, _) = try await Self.account(harness)
        let desktop = try await harness.services.operations.createDesktop(NewDesktop(name: "d"), by: .operator(user))
        guard
            case .created(let task) = try await harness.services.operations.createTask(
                NewTask(type: "prompt", content: "c", desktopID: desktop.id.description),
                by: .operator(user)
            )
        else {
            Issue.record("the task was not created")
            return
        }
        let fullKeyID = try #require(harness.store.read { $0.activeKeys(of: user).first { $0.scope == .full }?.id })
        let table = RouteTable()
        let application = Application(router: buildRouter(harness.services, routes: table))
        let sequence = harness.store.read { $0.sequence }
        let exempt = harness.services.gate.readScopeChangeRoutes
        try await application.test(.router) { client in
            let routes = table.routes.map { (path: $0.key, methods: $0.value) }.filter { $0.path.hasPrefix("/api/") }
                .sorted { $0.path < $1.path }
            #expect(routes.count >= 10, "\(routes.map(\.path))")
            var changing = 0
            for route in routes {
                // Path parameters filled with the user's own resources, so an admitted change would succeed.
                let path = route.path.split(separator: "/").map { segment -> String in
                    guard segment.hasPrefix("{") else { return String(segment) }
                    if route.path.hasPrefix("/api/desktops") { return desktop.id.description }
                    if route.path.hasPrefix("/api/mission-control/tasks") { return task.id.description }
                    if route.path.hasPrefix("/api/auth/api-keys") { return fullKeyID.description }
                    return "github"
                }.joined(separator: "/")
                for method in route.methods {
                    // An admitted stream would never end: its reads are covered by the stream tests.
                    if route.path.hasSuffix("/stream") { continue }
                    let response = try await client.send(method, "/" + path, key: read, json: "{}")
                    if CrossSiteRequestCheck.changesState(method: method.rawValue), !exempt.contains(route.path) {
                        changing += 1
                        #expect(response.status == .forbidden, "\(method) \(route.path): \(response.status)")
                        #expect(response.code == "insufficient_scope", "\(method) \(route.path)")
                    } else {
                        #expect(response.code != "insufficient_scope", "\(method) \(route.path)")
                    }
                }
            }
            #expect(changing >= 8, "the table holds the state-changing routes")
            // The same changes with the full key are let through (not refused for scope).
            let allowed = try await client.send(.post, "/api/desktops", key: full, json: #"{"name": "by the full key"}"#)
            #expect(allowed.status == .created)
        }
        #expect(harness.store.read { $0.sequence } == sequence + 1, "the read key changed nothing")
    }

    @Test("the rule is the domain's too: an operation acting for a read key commits nothing")
    func domainRule() async throws {
        let harness = TestHarness()
        let (user, _, _, readID) = try await Self.account(harness)
        let principal = Principal(userID: user, credential: .apiKey(readID))
        await #expect(throws: StoreError.insufficientScope) {
            _ = try await harness.services.operations.createDesktop(NewDesktop(name: "no"), by: .user(principal))
        }
        await #expect(throws: StoreError.insufficientScope) {
            _ = try await harness.services.operations.createAPIKey(NewAPIKey(name: "no"), by: .user(principal))
        }
        await #expect(throws: StoreError.insufficientScope) {
            try await harness.services.operations.revokeAPIKey(readID.description, by: .user(principal))
        }
        #expect(try harness.services.operations.activeAPIKeys(by: .user(principal)).count == 2, "reads are allowed")
    }

    @Test("a session is never limited by scope")
    func sessionsUnaffected() async throws {
        var settings = TestHarness.settings
        settings.devLogin = true
        settings.cookieSecure = false
        let harness = TestHarness(settings: settings)
        try await harness.application.test(.router) { client in
            var headers = HTTPFields()
            headers[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            let login = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#, headers: headers)
            let cookie = try #require(login.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            headers[.cookie] = cookie
            let created = try await client.send(.post, "/api/auth/api-keys", json: #"{"name": "r", "scope": "read"}"#, headers: headers)
            #expect(created.status == .created)
            #expect(try await client.send(.post, "/api/desktops", json: #"{"name": "d"}"#, headers: headers).status == .created)
        }
    }
}
