import BureauAuth
import BureauServer
import BureauSignIn
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A server on an in-memory store with fast bcrypt, and helpers to create users and keys directly.
struct TestHarness {
    let store: BureauStore
    let services: BureauServices

    init(
        settings: ServerSettings = TestHarness.settings,
        clock: any MonotonicClock = SystemMonotonicClock(),
        activityCapacity: Int = StoreState.defaultActivityCapacity,
        journal: any MutationJournal = EphemeralJournal(),
        now: @escaping @Sendable () -> Timestamp = { Timestamp.now() },
        minter: (any APIKeyMinter)? = nil,
        signIn: ProviderSignIn? = nil
    ) {
        store = BureauStore(state: StoreState(activityCapacity: activityCapacity), journal: journal, now: now)
        services = BureauServices(store: store, settings: settings, clock: clock, minter: minter, signIn: signIn)
    }

    static var settings: ServerSettings {
        var settings = ServerSettings()
        settings.bcryptCost = 4
        // Functional tests send more than a minute's worth of requests; the limit has tests of its own.
        settings.rateLimits.generalLimit = 100_000
        return settings
    }

    var application: some ApplicationProtocol {
        Application(responder: buildResponder(services), server: httpServer(services))
    }

    /// Creates a user and returns its id.
    func user(_ email: String) async throws -> UserID {
        try await services.operations.createUser(NewUser(email: email)).id
    }

    /// Creates a key for `user` and returns its plaintext.
    func key(for user: UserID, name: String = "test") async throws -> String {
        try await services.operations.createAPIKey(NewAPIKey(name: name), by: .operator(user)).plaintext
    }

    /// A user with one key: (user id, key plaintext).
    func account(_ email: String) async throws -> (UserID, String) {
        let user = try await user(email)
        return (user, try await key(for: user))
    }
}

/// Request building shortcuts.
extension TestClientProtocol {
    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        key: String? = nil,
        json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let key { headers[HTTPField.Name("x-api-key")!] = key }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The `data` array of a list answer.
    var items: [[String: Any]] { object["data"] as? [[String: Any]] ?? [] }

    /// The problem `code` of an error answer.
    var code: String? { object["code"] as? String }
}
