import Crypto
import CryptoExtras
import Foundation
import Hummingbird
import JWTKit
import Synchronization

/// An OpenID Connect provider on `127.0.0.1` for tests: discovery, JWKS, an authorization endpoint that
/// signs in ``Behavior/email`` at once (it redirects straight back with a code), and a token endpoint that
/// checks the client, the code (once), the redirect URI and the PKCE verifier, and issues RS256 ID tokens
/// signed with a key generated for the test. ``behavior`` bends any of it to make a sign-in fail.
public final class FakeOpenIDProvider: Sendable {
    /// What the provider does; every field can be changed while it runs.
    public struct Behavior: Sendable {
        /// Who signs in (the ID token's `email`; `nil`: no `email` claim).
        public var email: String? = "ada@example.com"
        /// `email_verified` (`nil`: no such claim).
        public var emailVerified: Bool? = true
        /// The `name` claim.
        public var name: String? = "Ada Lovelace"
        /// The client id and secret the token endpoint accepts (`nil`: any, and `aud` is the id presented).
        public var clientID: String?
        public var clientSecret: String?
        /// Instead of a code, send the browser back with `?error=` this.
        public var authorizeError: String?
        /// Override of the ID token's `aud`.
        public var audience: [String]?
        /// Override of the ID token's `azp`.
        public var authorizedParty: String?
        /// Override of the ID token's `iss`.
        public var tokenIssuer: String?
        /// Seconds from now to the token's `exp` (negative: already expired).
        public var expiresIn: Int = 300
        /// What `nonce` the token carries: the one sent (`nil`), none (`""`), or this value.
        public var nonce: String?
        /// Sign the token with a key the JWKS does not publish (under a published key id).
        public var signWithUnpublishedKey = false
        /// Sign with a key published only from now on, under a new key id (a rotation).
        public var rotateKey = false
        /// How long the token endpoint waits before answering.
        public var tokenDelay: Duration?
        /// An error the token endpoint answers with (`invalid_grant`, ...) whatever the code.
        public var tokenError: String?
        /// Answer the token endpoint with this status and a body that is not JSON.
        public var tokenGarbageStatus: Int?
        /// Override of the discovery document's `issuer`.
        public var documentIssuer: String?
        /// How Bureau must authenticate at the token endpoint: `nil` (either), `client_secret_post`, `client_secret_basic`.
        public var authMethod: String?

        public init() {}
    }

    /// A code handed out by the authorization endpoint, waiting for the token request.
    private struct Grant {
        var clientID: String
        var redirectURI: String
        var challenge: String
        var nonce: String?
    }

    private struct State {
        var behavior = Behavior()
        var grants: [String: Grant] = [:]
        var issuer = ""
        var discoveryRequests = 0
        var keysRequests = 0
        var tokenRequests = 0
        var authorizeRequests: [[String: String]] = []
    }

    private let state = Mutex(State())
    private let server: FakeProviderServer
    private let keys: FakeSigningKeys
    /// The path the issuer carries (`/realms/main`), or empty.
    public let issuerPath: String

    /// A provider whose issuer is `http://127.0.0.1:PORT` + `issuerPath`.
    public init(issuerPath: String = "", behavior: Behavior = Behavior()) async throws {
        self.issuerPath = issuerPath
        keys = try await FakeSigningKeys.shared()
        server = FakeProviderServer()
        state.withLock { $0.behavior = behavior }
        let router = Router()
        register(on: router)
        server.serve(router)
    }

    /// Starts serving on `port` (0: a free one); returns the issuer URL.
    @discardableResult
    public func start(port: Int = 0) async throws -> String {
        let bound = try await server.start(port: port)
        let issuer = "http://127.0.0.1:\(bound)\(issuerPath)"
        state.withLock { $0.issuer = issuer }
        return issuer
    }

    /// Stops serving.
    public func stop() async { await server.stop() }

    /// The issuer URL (once started).
    public var issuer: String { state.withLock { $0.issuer } }

    /// Changes the behavior.
    public func update(_ change: (inout Behavior) -> Void) { state.withLock { change(&$0.behavior) } }

    /// How many times each endpoint was asked.
    public var discoveryRequests: Int { state.withLock { $0.discoveryRequests } }
    public var keysRequests: Int { state.withLock { $0.keysRequests } }
    public var tokenRequests: Int { state.withLock { $0.tokenRequests } }
    /// The query of every authorization request, in order.
    public var authorizeRequests: [[String: String]] { state.withLock { $0.authorizeRequests } }

    private func register(on router: Router<BasicRequestContext>) {
        let base = issuerPath
        router.get("\(base)/.well-known/openid-configuration") { _, _ in
            let (issuer, behavior) = self.state.withLock { state in
                state.discoveryRequests += 1
                return (state.issuer, state.behavior)
            }
            var document: [String: Any] = [
                "issuer": behavior.documentIssuer ?? issuer,
                "authorization_endpoint": "\(issuer)/authorize",
                "token_endpoint": "\(issuer)/token",
                "jwks_uri": "\(issuer)/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            ]
            if let method = behavior.authMethod { document["token_endpoint_auth_methods_supported"] = [method] }
            return FakeForm.json(document)
        }
        router.get("\(base)/jwks") { _, _ in
            let rotated = self.state.withLock { state in
                state.keysRequests += 1
                return state.behavior.rotateKey
            }
            return FakeForm.json(["keys": self.keys.publishedJWKs(includingRotated: rotated)])
        }
        router.get("\(base)/authorize") { request, _ in
            let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            return self.authorize(query)
        }
        router.post("\(base)/token") { request, _ in
            let form = try await FakeForm.body(of: request)
            return try await self.token(request, form: form)
        }
    }

    private func authorize(_ query: [String: String]) -> Response {
        let behavior = state.withLock { state in
            state.authorizeRequests.append(query)
            return state.behavior
        }
        guard let redirectURI = query["redirect_uri"], let clientID = query["client_id"], query["response_type"] == "code",
            let challenge = query["code_challenge"], query["code_challenge_method"] == "S256"
        else {
            return FakeForm.json(["error": "invalid_request"], status: .badRequest)
        }
        var answer: [(String, String)] = []
        if let error = behavior.authorizeError {
            answer.append(("error", error))
            answer.append(("error_description", "<script>alert('the provider says no')</script>"))
        } else {
            let code = FakeForm.random()
            state.withLock { $0.grants[code] = Grant(clientID: clientID, redirectURI: redirectURI, challenge: challenge, nonce: query["nonce"]) }
            answer.append(("code", code))
        }
        if let state = query["state"] { answer.append(("state", state)) }
        return FakeForm.redirect(FakeForm.url(redirectURI, adding: answer))
    }

    private func token(_ request: Request, form: [String: String]) async throws -> Response {
        let behavior = state.withLock { state in
            state.tokenRequests += 1
            return state.behavior
        }
        if let delay = behavior.tokenDelay { try await Task.sleep(for: delay) }
        if let status = behavior.tokenGarbageStatus {
            return Response(
                status: .init(code: status),
                headers: [.contentType: "text/html"],
                body: .init(byteBuffer: ByteBuffer(string: "<html>oops"))
            )
        }
        if let error = behavior.tokenError { return FakeForm.json(["error": error], status: .badRequest) }
        let basic = request.headers[.authorization]?.hasPrefix("Basic ") == true
        if behavior.authMethod == "client_secret_post" && basic || behavior.authMethod == "client_secret_basic" && !basic {
            return FakeForm.json(["error": "invalid_client"], status: .unauthorized)
        }
        guard let client = FakeForm.clientCredentials(request, form: form), !client.id.isEmpty, !client.secret.isEmpty,
            behavior.clientID.map({ $0 == client.id }) ?? true, behavior.clientSecret.map({ $0 == client.secret }) ?? true
        else {
            return FakeForm.json(["error": "invalid_client"], status: .unauthorized)
        }
        guard form["grant_type"] == "authorization_code", let code = form["code"],
            let grant = state.withLock({ $0.grants.removeValue(forKey: code) }),
            grant.clientID == client.id, grant.redirectURI == form["redirect_uri"],
            let verifier = form["code_verifier"], FakeSigningKeys.challenge(for: verifier) == grant.challenge
        else {
            return FakeForm.json(["error": "invalid_grant"], status: .badRequest)
        }
        let issuer = state.withLock { $0.issuer }
        let now = Date()
        var claims = FakeIDToken(
            iss: behavior.tokenIssuer ?? issuer,
            sub: "subject-" + (behavior.email ?? "none"),
            aud: behavior.audience ?? [client.id],
            exp: Int(now.timeIntervalSince1970) + behavior.expiresIn,
            iat: Int(now.timeIntervalSince1970),
            nonce: grant.nonce,
            azp: behavior.authorizedParty,
            email: behavior.email,
            email_verified: behavior.emailVerified,
            name: behavior.name
        )
        if let nonce = behavior.nonce { claims.nonce = nonce.isEmpty ? nil : nonce }
        let idToken = try await keys.sign(claims, unpublished: behavior.signWithUnpublishedKey, rotated: behavior.rotateKey)
        return FakeForm.json(["access_token": FakeForm.random(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken])
    }
}

/// The claims the fake puts in its ID tokens.
struct FakeIDToken: JWTPayload {
    var iss: String
    var sub: String
    var aud: [String]
    var exp: Int
    var iat: Int
    var nonce: String?
    var azp: String?
    var email: String?
    var email_verified: Bool?
    var name: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// The fakes' RSA keys, generated once per process (generating one takes a while): the published key,
/// one published only after a rotation, and one never published (for bad signatures).
final class FakeSigningKeys: Sendable {
    static let publishedID = "fake-key-1"
    static let rotatedID = "fake-key-2"

    private let published: JWTKit.Insecure.RSA.PrivateKey
    private let rotated: JWTKit.Insecure.RSA.PrivateKey
    private let unpublished: JWTKit.Insecure.RSA.PrivateKey
    private let collection: JWTKeyCollection
    private let unpublishedCollection: JWTKeyCollection

    private static let instance = Mutex<Task<FakeSigningKeys, any Error>?>(nil)

    static func shared() async throws -> FakeSigningKeys {
        let task = instance.withLock { instance in
            if let instance { return instance }
            let task = Task { try await FakeSigningKeys() }
            instance = task
            return task
        }
        return try await task.value
    }

    private init() async throws {
        published = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        rotated = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        unpublished = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        collection = JWTKeyCollection()
        await collection.add(rsa: published, digestAlgorithm: .sha256, kid: JWKIdentifier(string: Self.publishedID))
        await collection.add(rsa: rotated, digestAlgorithm: .sha256, kid: JWKIdentifier(string: Self.rotatedID))
        unpublishedCollection = JWTKeyCollection()
        await unpublishedCollection.add(rsa: unpublished, digestAlgorithm: .sha256, kid: JWKIdentifier(string: Self.publishedID))
    }

    /// The JWKS entries: the published key, and the rotated one once rotated.
    func publishedJWKs(includingRotated: Bool) -> [[String: Any]] {
        var keys = [Self.jwk(published, id: Self.publishedID)]
        if includingRotated { keys.append(Self.jwk(rotated, id: Self.rotatedID)) }
        return keys
    }

    func sign(_ claims: FakeIDToken, unpublished: Bool, rotated: Bool) async throws -> String {
        if unpublished { return try await unpublishedCollection.sign(claims, kid: JWKIdentifier(string: Self.publishedID)) }
        return try await collection.sign(claims, kid: JWKIdentifier(string: rotated ? Self.rotatedID : Self.publishedID))
    }

    private static func jwk(_ key: JWTKit.Insecure.RSA.PrivateKey, id: String) -> [String: Any] {
        let primitives = try! key.publicKey.getKeyPrimitives()
        return ["kty": "RSA", "use": "sig", "alg": "RS256", "kid": id, "n": base64URL(primitives.modulus), "e": base64URL(primitives.publicExponent)]
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The PKCE S256 challenge of `verifier`.
    static func challenge(for verifier: String) -> String {
        base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }
}
