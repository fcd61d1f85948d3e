import BureauAuth
import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Leaked-key reports")
struct LeakReportTests {
    static let report = "/api/auth/api-keys/report"

    @Test("a report mixing valid, revoked, malformed, mistyped, unknown and another user's keys revokes the valid ones and tells each owner")
    func mixedReport() async throws {
        let harness = TestHarness()
        let (ada, adaKey) = try await harness.account("ada@example.com")
        let (bob, bobKey) = try await harness.account("bob@example.com")
        let adaLeaked = try await harness.services.operations.createAPIKey(NewAPIKey(name: "leaked"), by: .operator(ada))
        let revoked = try await harness.services.operations.createAPIKey(NewAPIKey(name: "old"), by: .operator(ada))
        try await harness.services.operations.revokeAPIKey(revoked.record.id.description, by: .operator(ada))
        let mistyped = String(adaKey.dropLast()) + (adaKey.hasSuffix("A") ? "B" : "A")
        let wrongSecret = APIKeyFormat.generate().plaintext
        try await harness.application.test(.router) { client in
            let body = try String(
                data: JSONSerialization.data(withJSONObject: [
                    "keys": [adaLeaked.plaintext, revoked.plaintext, "not a key", mistyped, wrongSecret, bobKey, adaLeaked.plaintext]
                ]),
                encoding: .utf8
            )
            let answer = try await client.send(.post, Self.report, json: body)
            #expect(answer.status == .accepted)
            #expect(answer.text == #"{"status":"received"}"#)
            let nothing = try await client.send(.post, Self.report, json: #"{"keys": ["\#(wrongSecret)", "nonsense"]}"#)
            #expect(nothing.status == answer.status && nothing.text == answer.text, "the same answer whether or not anything matched")

            let settled = try await eventually(within: .seconds(10)) {
                harness.store.read { state in state.apiKeys.values.filter { !$0.isActive }.count == 3 }
            }
            #expect(settled)
            #expect(try await client.send(.get, "/api/desktops", key: adaLeaked.plaintext).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", key: bobKey).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", key: adaKey).status == .ok, "a mistyped copy revokes nothing")

            let adaEvents = try await client.send(.get, "/api/mission-control/activity", key: adaKey).items
            #expect(adaEvents.filter { $0["type"] as? String == "api_key.leaked" }.count == 1)
            #expect(harness.store.read { $0.activeKeys(of: bob).isEmpty })
        }
        #expect(harness.store.read { $0.activity[bob]?.events.contains { $0.kind == .apiKeyLeaked } } == true)
    }

    @Test("no credentials needed; a malformed or oversized body is 400 naming keys; every answer is rate limited per address")
    func inputAndLimits() async throws {
        var settings = TestHarness.settings
        settings.rateLimits.generalLimit = 4
        let harness = TestHarness(settings: settings)
        try await harness.application.test(.router) { client in
            for body in [#"{}"#, #"{"keys": []}"#, #"{"keys": "lb_k_x"}"#, #"{"keys": [1]}"#] {
                let refused = try await client.send(.post, Self.report, json: body)
                #expect(refused.status == .badRequest, "\(body)")
                #expect((refused.object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } == ["keys"], "\(body)")
            }
            let limited = try await client.send(.post, Self.report, json: #"{"keys": ["x"]}"#)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.code == "rate_limited")
        }
        let big = TestHarness()
        try await big.application.test(.router) { client in
            let many = "{\"keys\": [" + (0..<21).map { "\"k\($0)\"" }.joined(separator: ",") + "]}"
            let tooMany = try await client.send(.post, Self.report, json: many)
            #expect(tooMany.status == .badRequest)
            let long = "{\"keys\": [\"" + String(repeating: "a", count: 201) + "\"]}"
            let tooLong = try await client.send(.post, Self.report, json: long)
            #expect(tooLong.status == .badRequest)
        }
    }
}
