import BureauServer
import BureauStore
import BureauTestSupport
import HTTPTypes
import HummingbirdTesting

/// A harness whose store reads wall time from a manual clock, with dev-login on, and the requests a
/// browser signed in to it sends.
struct SessionHarness {
    static let origin = "https://bureau.example"
    let clock = ManualClock()
    let harness: TestHarness

    init(minter: (any APIKeyMinter)? = nil, configure: (inout ServerSettings) -> Void = { _ in }) {
        var settings = TestHarness.settings
        settings.devLogin = true
        settings.publicOrigin = Self.origin
        configure(&settings)
        let clock = clock
        harness = TestHarness(
            settings: settings,
            now: { Timestamp(millisecondsSinceEpoch: 1_790_000_000_000 + clock.now.offset.components.seconds * 1000) },
            minter: minter
        )
    }

    var store: BureauStore { harness.store }
    var services: BureauServices { harness.services }

    /// The cookie's name in this harness's mode.
    var cookieName: String { services.cookie.name }

    /// Signs in through dev-login; returns the `Cookie` header value a browser would send back.
    func signIn(_ client: some TestClientProtocol, email: String = "ada@example.com") async throws -> String {
        let response = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "\#(email)"}"#)
        guard response.status == .ok, let setCookie = response.headers[.setCookie] else {
            throw SessionHarnessError.signInFailed(response.status.code)
        }
        return String(setCookie.prefix { $0 != ";" })
    }
}

/// Why a harness step failed.
enum SessionHarnessError: Error {
    case signInFailed(Int)
}

extension TestClientProtocol {
    /// A request carrying `cookie`, from the server's own pages unless `sameOrigin` is false.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        cookie: String,
        json: String? = nil,
        headers extra: HTTPFields = [:],
        sameOrigin: Bool = true
    ) async throws -> TestResponse {
        var headers = extra
        headers[.cookie] = cookie
        if sameOrigin, headers[HTTPField.Name("Sec-Fetch-Site")!] == nil { headers[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin" }
        return try await send(method, uri, json: json, headers: headers)
    }
}
