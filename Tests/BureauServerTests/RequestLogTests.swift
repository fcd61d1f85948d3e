import BureauAuth
import BureauServer
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@Suite("The request log's records")
struct RequestLogTests {
    /// Keeps every record.
    final class Records: RequestLog {
        let records = Mutex<[RequestLogRecord]>([])
        func isEnabled(for logger: Logger) -> Bool { true }
        func record(_ record: RequestLogRecord, logger: Logger) { records.withLock { $0.append(record) } }
        var all: [RequestLogRecord] { records.withLock { $0 } }
    }

    static let requestID = HTTPField.Name("x-request-id")!

    @Test("each request's record: its x-request-id, method, redacted target, route template, status, user, credential kind, client")
    func fields() async throws {
        let records = Records()
        let store = BureauStore(state: StoreState(), journal: EphemeralJournal())
        let services = BureauServices(store: store, settings: TestHarness.settings, requestLog: records)
        let user = try await services.operations.createUser(NewUser(email: "ada@example.com"))
        let key = try await services.operations.createAPIKey(NewAPIKey(name: "k"), by: .operator(user.id)).plaintext
        let application = Application(responder: buildResponder(services), server: httpServer(services))
        let ids = try await application.test(.live) { client in
            var ids: [String] = []
            let desktop = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "Logged"}"#)
            let id = try #require(desktop.object["id"] as? String)
            ids.append(try #require(desktop.headers[Self.requestID]))
            ids.append(try #require(try await client.send(.get, "/api/desktops/\(id)?apiKey=\(key)", key: key).headers[Self.requestID]))
            ids.append(try #require(try await client.send(.get, "/api/desktops", key: "lb_k_wrong").headers[Self.requestID]))
            ids.append(try #require(try await client.send(.get, "/healthz").headers[Self.requestID]))
            return ids
        }
        let all = records.all
        #expect(all.map(\.requestID) == ids)
        #expect(all.map(\.method) == ["POST", "GET", "GET", "GET"])
        #expect(all.map(\.status) == [201, 200, 401, 200])
        #expect(all[0].route == "/api/desktops" && all[1].route == "/api/desktops/{id}" && all[3].route == "/healthz")
        #expect(all[1].target.hasSuffix("?apiKey=REDACTED") && !all[1].target.contains(key))
        #expect(all[0].userID == user.id && all[0].authMethod == "api_key" && all[1].userID == user.id)
        #expect(all[2].userID == nil && all[2].authMethod == nil, "a refused key acts for no one")
        #expect(all[0].client?.description == "127.0.0.1" && all[2].client?.description == "127.0.0.1")
        #expect(all[3].client == nil, "a route outside /api has no client address resolved")
    }
}
