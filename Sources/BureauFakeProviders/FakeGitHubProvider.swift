import Foundation
import Hummingbird
import Synchronization

/// A GitHub-style provider on `127.0.0.1` for tests: `/login/oauth/authorize` (signs in at once,
/// redirecting back with a code), `/login/oauth/access_token` (checks the client, the code once, the
/// redirect URI and the PKCE verifier; answers like GitHub, errors with status 200), `/api/user` and
/// `/api/user/emails` (with the access token it issued). ``Behavior`` bends it to make a sign-in fail.
public final class FakeGitHubProvider: Sendable {
    /// One address of `/user/emails`.
    public struct Email: Sendable {
        public var email: String
        public var primary: Bool
        public var verified: Bool

        public init(_ email: String, primary: Bool, verified: Bool) {
            self.email = email
            self.primary = primary
            self.verified = verified
        }
    }

    /// What the provider does; every field can be changed while it runs.
    public struct Behavior: Sendable {
        public var login = "octocat"
        public var name: String? = "The Octocat"
        public var emails = [Email("octo@example.com", primary: true, verified: true), Email("other@example.org", primary: false, verified: true)]
        /// The client id and secret it accepts.
        public var clientID = "github-client"
        public var clientSecret = "github-secret"
        /// Instead of a code, send the browser back with `?error=` this.
        public var authorizeError: String?
        /// An error the token endpoint answers with (status 200, as GitHub does) whatever the code.
        public var tokenError: String?
        /// How long `/api/user/emails` waits before answering.
        public var emailsDelay: Duration?
        /// `/api/user` answers this status with a body that is not JSON.
        public var userGarbageStatus: Int?

        public init() {}
    }

    private struct Grant {
        var redirectURI: String
        var challenge: String
    }

    private struct State {
        var behavior = Behavior()
        var grants: [String: Grant] = [:]
        var tokens: Set<String> = []
        var tokenRequests = 0
    }

    private let state = Mutex(State())
    private let server: FakeProviderServer
    private let base = Mutex("")

    public init(behavior: Behavior = Behavior()) {
        server = FakeProviderServer()
        state.withLock { $0.behavior = behavior }
        let router = Router()
        register(on: router)
        server.serve(router)
    }

    /// Starts serving on a free port; returns its base URL (`http://127.0.0.1:PORT`).
    @discardableResult
    public func start() async throws -> String {
        let port = try await server.start()
        let url = "http://127.0.0.1:\(port)"
        base.withLock { $0 = url }
        return url
    }

    public func stop() async { await server.stop() }

    /// `auth.oauth.github.authorize_url`, `.token_url` and `.api_url` for this provider.
    public var authorizeURL: String { base.withLock { $0 } + "/login/oauth/authorize" }
    public var tokenURL: String { base.withLock { $0 } + "/login/oauth/access_token" }
    public var apiURL: String { base.withLock { $0 } + "/api" }

    public func update(_ change: (inout Behavior) -> Void) { state.withLock { change(&$0.behavior) } }

    public var tokenRequests: Int { state.withLock { $0.tokenRequests } }

    private func register(on router: Router<BasicRequestContext>) {
        router.get("/login/oauth/authorize") { request, _ in
            let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            let behavior = self.state.withLock { $0.behavior }
            guard let redirectURI = query["redirect_uri"], query["client_id"] == behavior.clientID, let challenge = query["code_challenge"],
                query["code_challenge_method"] == "S256", query["scope"] == "user:email"
            else { return FakeForm.json(["error": "invalid_request"], status: .badRequest) }
            var answer: [(String, String)] = []
            if let error = behavior.authorizeError {
                answer.append(("error", error))
                answer.append(("error_description", "The user has denied your application access."))
            } else {
                let code = FakeForm.random()
                self.state.withLock { $0.grants[code] = Grant(redirectURI: redirectURI, challenge: challenge) }
                answer.append(("code", code))
            }
            if let state = query["state"] { answer.append(("state", state)) }
            return FakeForm.redirect(FakeForm.url(redirectURI, adding: answer))
        }
        router.post("/login/oauth/access_token") { request, _ in
            let form = try await FakeForm.body(of: request)
            let behavior = self.state.withLock { state in
                state.tokenRequests += 1
                return state.behavior
            }
            if let error = behavior.tokenError { return FakeForm.json(["error": error, "error_description": "Nope."]) }
            guard form["client_id"] == behavior.clientID, form["client_secret"] == behavior.clientSecret else {
                return FakeForm.json(["error": "incorrect_client_credentials"])
            }
            guard let code = form["code"], let grant = self.state.withLock({ $0.grants.removeValue(forKey: code) }),
                grant.redirectURI == form["redirect_uri"], let verifier = form["code_verifier"],
                FakeSigningKeys.challenge(for: verifier) == grant.challenge
            else { return FakeForm.json(["error": "bad_verification_code"]) }
            let token = "gho_" + FakeForm.random()
            self.state.withLock { _ = $0.tokens.insert(token) }
            return FakeForm.json(["access_token": token, "token_type": "bearer", "scope": "user:email"])
        }
        router.get("/api/user") { request, _ in
            guard self.authorized(request) else { return FakeForm.json(["message": "Bad credentials"], status: .unauthorized) }
            let behavior = self.state.withLock { $0.behavior }
            if let status = behavior.userGarbageStatus {
                return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: "not json")))
            }
            var user: [String: Any] = ["login": behavior.login, "id": 1]
            user["name"] = behavior.name ?? NSNull()
            return FakeForm.json(user)
        }
        router.get("/api/user/emails") { request, _ in
            guard self.authorized(request) else { return FakeForm.json(["message": "Bad credentials"], status: .unauthorized) }
            let behavior = self.state.withLock { $0.behavior }
            if let delay = behavior.emailsDelay { try await Task.sleep(for: delay) }
            return FakeForm.json(behavior.emails.map { ["email": $0.email, "primary": $0.primary, "verified": $0.verified, "visibility": NSNull()] })
        }
    }

    private func authorized(_ request: Request) -> Bool {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
            request.headers[.userAgent] != nil
        else { return false }
        let token = String(authorization.dropFirst("Bearer ".count))
        return state.withLock { $0.tokens.contains(token) }
    }
}
