import BureauAuth
import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

/// The gate as the router uses it: no spelling of an `/api` path escapes it.
@Suite("Access gate on every spelling of a path")
struct AccessGateRouteTests {
    /// Spellings of `/api/<rest>`: what the router serves as that route, or what reaches no route at all.
    static func spellings(of rest: String) -> [String] {
        let encodedSlash = rest.replacingOccurrences(of: "/", with: "%2F")
        return [
            "/api/\(rest)", "//api/\(rest)", "///api//\(rest)", "/api/\(rest)/", "/api/\(rest)//",
            "/./api/\(rest)", "/api/./\(rest)", "/api/../api/\(rest)", "/x/../api/\(rest)", "/api%2F\(rest)",
            "%2Fapi%2F\(encodedSlash)", "/api/\(encodedSlash)", "/%61pi/\(rest)", "/API/\(rest)", "/Api/\(rest.uppercased())",
            "/api;x/\(rest)", "/api/\(rest);x", "/api%252F\(rest)", "/api\\\(rest)", "api/\(rest)",
        ]
    }

    /// Routes that need credentials, by method and the path under `/api`.
    static let routes: [(HTTPRequest.Method, String)] = [
        (.get, "desktops"), (.post, "desktops"), (.get, "mission-control/tasks"), (.get, "auth/me"), (.get, "auth/api-keys"),
        (.get, "mission-control/activity"), (.post, "auth/logout"), (.get, "auth/api-keys/{key}"),
    ]

    @Test("every spelling x route: through the gate (RateLimit fields, a bad key counted) or 404 before any controller")
    func spellingsPassTheGate() async throws {
        var settings = TestHarness.settings
        // Bad keys are counted but never add up to a block here (the blocker has tests of its own).
        settings.rateLimits.failedAuthLimit = 100_000
        let harness = TestHarness(settings: settings)
        let (_, key) = try await harness.account("ada@example.com")
        let failures: @Sendable () -> UInt64 = { harness.services.rateLimits.failedAuth.counters.failuresRecorded }
        // `{key}`: the key's own id, so the good key reaches the one-key route's answer.
        let keyID = try #require(harness.store.read { $0.apiKeys.values.first { $0.isActive }?.id }).description
        try await harness.application.test(.router) { client in
            for (method, template) in Self.routes {
                let rest = template.replacingOccurrences(of: "{key}", with: keyID)
                for path in Self.spellings(of: rest) {
                    let before = failures()
                    let bad = try await client.send(method, path, key: "lb_k_bad", json: method == .post ? "{}" : nil)
                    switch bad.status {
                    case .unauthorized:
                        #expect(bad.headers[HTTPField.Name("RateLimit")!] != nil, "\(method) \(path)")
                        #expect(failures() == before + 1, "bad key not counted: \(method) \(path)")
                    case .notFound:
                        #expect(bad.code == "not_found", "\(method) \(path)")
                    default:
                        Issue.record("\(method) \(path) with a bad key: \(bad.status)")
                    }
                    let none = try await client.send(method, path, json: method == .post ? "{}" : nil)
                    #expect(none.status == .unauthorized || none.status == .notFound, "\(method) \(path) without credentials: \(none.status)")
                    let good = try await client.send(method, path, key: key, json: method == .post ? #"{"name":"d"}"# : nil)
                    if good.status != .notFound {
                        #expect(good.headers[HTTPField.Name("RateLimit")!] != nil, "\(method) \(path): \(good.status)")
                        #expect(good.status.code < 300 || good.status == .badRequest, "\(method) \(path): \(good.status)")
                    }
                }
            }
        }
    }

    @Test("a rate-limited client cannot sign in through any spelling of the sign-in path")
    func devLoginLimitedEverywhere() async throws {
        var settings = TestHarness.settings
        settings.devLogin = true
        settings.rateLimits.generalLimit = 2
        let harness = TestHarness(settings: settings)
        try await harness.application.test(.router) { client in
            let body = #"{"email":"ada@example.com"}"#
            for _ in 0..<2 { _ = try await client.send(.get, "/api/desktops") }
            for path in Self.spellings(of: "auth/dev-login") {
                let response = try await client.send(.post, path, json: body, headers: [.origin: "http://localhost:8080"])
                #expect(response.status == .tooManyRequests || response.status == .notFound, "\(path): \(response.status)")
                #expect(response.headers[.setCookie] == nil, "\(path) signed in")
            }
        }
    }

    @Test("?apiKey= is read on the stream's route, whatever its spelling, and nowhere else")
    func queryKeyOnlyOnStream() async throws {
        let harness = TestHarness()
        let failures: @Sendable () -> UInt64 = { harness.services.rateLimits.failedAuth.counters.failuresRecorded }
        try await harness.application.test(.router) { client in
            for path in ["/api/mission-control/activity/stream", "//api/mission-control/activity/stream", "/api/mission-control/activity/stream/"] {
                let before = failures()
                let response = try await client.send(.get, "\(path)?apiKey=lb_k_bad")
                #expect(response.status == .unauthorized)
                #expect(failures() == before + 1, "\(path): the query key was not read")
            }
            for path in [
                "/api/desktops", "//api/desktops", "/api/mission-control/activity", "/api/mission-control/activity/stream/../../../desktops",
                "/api/mission-control/activity/streams",
            ] {
                let before = failures()
                let response = try await client.send(.get, "\(path)?apiKey=lb_k_bad")
                #expect(response.status == .unauthorized || response.status == .notFound, "\(path)")
                #expect(failures() == before, "\(path): a query key was read off the stream")
            }
        }
    }

    @Test("each log line's request id equals the response's x-request-id: success, 401, 429 and 404")
    func logAndResponseAgree() async throws {
        var settings = TestHarness.settings
        settings.rateLimits.generalLimit = 2
        let harness = TestHarness(settings: settings)
        let (_, key) = try await harness.account("ada@example.com")
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        let logs = handler
        let application = Application(
            responder: buildResponder(harness.services),
            server: httpServer(),
            logger: Logger(label: "bureau.test") { _ in logs }
        )
        try await application.test(.router) { client in
            let answers = [
                try await client.send(.get, "/api/desktops", key: key),
                try await client.send(.get, "//api/desktops", headers: [HTTPField.Name("x-api-key")!: "lb_k_bad"]),
                try await client.send(.get, "/api/desktops", key: key),
                try await client.send(.get, "/api/desktops", key: key),
                try await client.send(.get, "/no/such/page"),
            ]
            #expect(answers.map(\.status) == [.ok, .unauthorized, .ok, .tooManyRequests, .notFound])
            let requestLines = logs.entries.filter { $0.message == "request" }
            #expect(requestLines.count == answers.count)
            for (answer, line) in zip(answers, requestLines) {
                let header = try #require(answer.headers[HTTPField.Name("x-request-id")!])
                #expect(line.metadata["hb.request.id"]?.description == header)
                #expect(line.metadata["hb.response.status"]?.description == String(answer.status.code))
            }
            // Every line about a request, not only the request line, carries the response's id.
            let ids = Set(answers.compactMap { $0.headers[HTTPField.Name("x-request-id")!] })
            for entry in logs.entries {
                if let id = entry.metadata["hb.request.id"]?.description { #expect(ids.contains(id), "\(entry.message)") }
            }
        }
    }
}

/// The reviewer's reproduction of promise 2, through the router.
@Suite("Failed key checks under concurrent load")
struct ConcurrentKeyCheckTests {
    /// `key` with its secret's last six characters replaced by `seed`'s digits and a checksum that fits:
    /// a well-formed key with a known lookup id that only bcrypt can refuse.
    static func wrongSecret(of key: String, _ seed: Int) -> String {
        let digits = String(seed)
        let body =
            String(key.prefix(APIKeyFormat.length - APIKeyFormat.checksumLength - 6))
            + String(repeating: "0", count: 6 - digits.count) + digits
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var value = UInt64(CRC32.ieee.checksum(Array(body.utf8)))
        var checksum = [UInt8](repeating: 0, count: APIKeyFormat.checksumLength)
        for index in stride(from: APIKeyFormat.checksumLength - 1, through: 0, by: -1) {
            checksum[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return body + String(decoding: checksum, as: UTF8.self)
    }

    @Test("40 concurrent wrong secrets with a known lookup id: at most `failed_auth.limit` bcrypt runs, the rest refused fast")
    func concurrentWrongSecrets() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let limit = harness.services.settings.rateLimits.failedAuthLimit
        let before = harness.services.hasher.verificationCount
        try await harness.application.test(.router) { client in
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for seed in 0..<40 {
                    group.addTask { try await client.send(.get, "/api/desktops", key: Self.wrongSecret(of: key, seed)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(harness.services.hasher.verificationCount - before <= limit)
            for answer in answers {
                switch (answer.status, answer.code) {
                case (.unauthorized, "invalid_api_key"), (.tooManyRequests, "api_key_auth_blocked"), (.serviceUnavailable, "key_checks_busy"):
                    if answer.status != .unauthorized { #expect(answer.headers[.retryAfter] != nil) }
                default:
                    Issue.record("unexpected \(answer.status) \(String(describing: answer.code))")
                }
            }
            #expect(answers.filter { $0.status == .unauthorized }.count <= limit)
        }
    }
}
