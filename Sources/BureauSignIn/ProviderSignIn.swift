import BureauAuth
import Crypto
import Logging

/// A sign-in just started: where to send the browser, and the value of the cookie that binds the
/// sign-in to that browser (its only copy; memory keeps its digest).
public struct SignInStart: Sendable {
    public var authorizationURL: String
    public var browserBinding: String
}

/// What the provider sent the browser back with (`/callback?code=...&state=...`, or `?error=...`).
public struct SignInCallback: Sendable {
    public var code: String?
    public var state: String?
    public var error: String?

    public init(code: String?, state: String?, error: String?) {
        self.code = code
        self.state = state
        self.error = error
    }
}

/// Sign-in with the configured providers: starts a sign-in (``begin(_:)``: a `state`, a PKCE verifier, a
/// `nonce` for OpenID providers, all from the CSPRNG, remembered in ``PendingSignIns`` under the digest
/// of the state) and finishes it (``complete(_:callback:browserBinding:)``: the state used once, from the
/// browser that started it, the code exchanged, the identity checked). Knows nothing of HTTP serving:
/// the server's controller turns its answers into redirects, cookies and pages.
public final class ProviderSignIn: Sendable {
    private let providers: [String: any IdentityProvider]
    private let settings: SignInSettings
    let pending: PendingSignIns
    private let logger: Logger

    /// The flows of `settings.providers`, calling providers through `client`.
    public init(
        settings: SignInSettings,
        client: ProviderHTTPClient,
        clock: any MonotonicClock = SystemMonotonicClock(),
        logger: Logger = Logger(label: "bureau.sign-in"),
        minimumKeysRefetch: Duration = .seconds(60)
    ) {
        var providers: [String: any IdentityProvider] = [:]
        for provider in settings.providers {
            switch provider.kind {
            case .github(let endpoints):
                providers[provider.name.value] = GitHubSignIn(settings: provider, endpoints: endpoints, client: client, logger: logger)
            case .openID(let issuer):
                let metadata = OpenIDMetadata(
                    issuer: issuer,
                    provider: provider.name,
                    client: client,
                    clock: clock,
                    logger: logger,
                    minimumKeysRefetch: minimumKeysRefetch
                )
                providers[provider.name.value] = OpenIDSignIn(settings: provider, metadata: metadata, client: client, logger: logger)
            }
        }
        self.providers = providers
        self.settings = settings
        self.pending = PendingSignIns(lifetime: settings.pendingLifetime, capacity: settings.maxPending, clock: clock)
        self.logger = logger
    }

    /// Whether a provider of that name is configured.
    public func isConfigured(_ name: some StringProtocol) -> Bool {
        providers[String(name)] != nil
    }

    /// Starts a sign-in with provider `name`: the URL of its authorization endpoint carrying the request
    /// (`response_type=code`, client id, redirect URI, scope, `state`, the S256 PKCE challenge, and a
    /// `nonce` for OpenID providers), and the browser binding for the sign-in cookie.
    public func begin(_ name: some StringProtocol) async throws(SignInFailure) -> SignInStart {
        guard let provider = providers[String(name)] else { throw .unknownProvider(name) }
        let state = RandomToken.generate()
        let binding = RandomToken.generate()
        let verifier = RandomToken.generate()
        let nonce = provider.usesNonce ? RandomToken.generate() : nil
        var parameters = [
            ("response_type", "code"), ("client_id", provider.settings.clientID),
            ("redirect_uri", settings.redirectURI(for: provider.settings.name)), ("state", state),
            ("code_challenge", RandomToken.challenge(for: verifier)), ("code_challenge_method", "S256"),
        ]
        if let nonce { parameters.append(("nonce", nonce)) }
        let url = try await provider.authorizationURL(adding: parameters)
        pending.insert(
            PendingSignIn(
                provider: provider.settings.name,
                bindingDigest: RandomToken.digest(binding),
                verifier: verifier,
                nonceDigest: nonce.map { RandomToken.digest($0) }
            ),
            state: state
        )
        return SignInStart(authorizationURL: url, browserBinding: binding)
    }

    /// Finishes a sign-in with provider `name` from what the browser brought back and the value of its
    /// sign-in cookie: the pending sign-in is taken (so never usable again, whatever happens next), must
    /// be for this provider and this browser; then the provider's error, if it sent one, or the code
    /// exchanged and the identity verified.
    public func complete(
        _ name: some StringProtocol,
        callback: SignInCallback,
        browserBinding: (some StringProtocol)?
    ) async throws(SignInFailure) -> VerifiedIdentity {
        guard let provider = providers[String(name)] else { throw .unknownProvider(name) }
        let signIn = callback.state.flatMap { pending.take(state: $0) }
        if let error = callback.error { throw .providerError(error) }
        guard let signIn, signIn.provider == provider.settings.name else { throw .badState }
        guard let browserBinding, RandomToken.digest(browserBinding) == signIn.bindingDigest else { throw .browserMismatch }
        guard let code = callback.code, !code.isEmpty else { throw .missingCode }
        return try await provider.identity(
            code: code,
            verifier: signIn.verifier,
            redirectURI: settings.redirectURI(for: provider.settings.name),
            nonceDigest: signIn.nonceDigest
        )
    }
}
