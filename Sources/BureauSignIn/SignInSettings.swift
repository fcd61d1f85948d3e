/// One configured sign-in provider: how Bureau names it, what its button says, the client Bureau is
/// registered as, and how it signs people in.
public struct SignInProviderSettings: Sendable, Equatable {
    /// How the provider proves who signed in.
    public enum Kind: Sendable, Equatable {
        /// GitHub (or GitHub Enterprise): OAuth 2.0, then the verified primary e-mail from its API.
        case github(GitHubEndpoints)
        /// An OpenID Connect provider (Google, Keycloak, ...), found through `{issuer}/.well-known/openid-configuration`.
        case openID(issuer: String)
    }

    /// The name in `/api/auth/oauth/{name}`.
    public var name: ProviderName
    /// What the sign-in button says.
    public var displayName: String
    /// The client id Bureau is registered under.
    public var clientID: String
    /// The client secret that goes with it.
    public var clientSecret: ClientSecret
    /// GitHub or OpenID Connect.
    public var kind: Kind

    public init(name: ProviderName, displayName: String, clientID: String, clientSecret: ClientSecret, kind: Kind) {
        self.name = name
        self.displayName = displayName
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.kind = kind
    }
}

/// GitHub's endpoints: GitHub.com's by default, another host's for GitHub Enterprise or a test provider.
public struct GitHubEndpoints: Sendable, Equatable {
    public static let defaultAuthorizeURL = "https://github.com/login/oauth/authorize"
    public static let defaultTokenURL = "https://github.com/login/oauth/access_token"
    public static let defaultAPIURL = "https://api.github.com"

    /// Where the browser is sent to approve the sign-in.
    public var authorizeURL: String
    /// Where the code is exchanged for an access token.
    public var tokenURL: String
    /// The REST API root (`{api}/user`, `{api}/user/emails`).
    public var apiURL: String

    public init(
        authorizeURL: String = Self.defaultAuthorizeURL,
        tokenURL: String = Self.defaultTokenURL,
        apiURL: String = Self.defaultAPIURL
    ) {
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.apiURL = apiURL
    }
}

/// Everything the sign-in flows need from the configuration.
public struct SignInSettings: Sendable, Equatable {
    /// Google's issuer, unless `auth.oauth.google.issuer` says otherwise.
    public static let googleIssuer = "https://accounts.google.com"

    /// The providers, in the order the sign-in page lists them.
    public var providers: [SignInProviderSettings]
    /// `http.public_origin`: redirect URIs are `{origin}/api/auth/oauth/{name}/callback`.
    public var publicOrigin: String
    /// `auth.oauth.timeout_seconds`: the bound on connecting to a provider and on each whole call to it.
    public var timeout: Duration
    /// The largest answer read from a provider; a larger one is refused as unusable.
    public var maxResponseBytes: Int
    /// How long a started sign-in may take before its callback is refused.
    public var pendingLifetime: Duration
    /// How many sign-ins may be pending at once; past it the oldest is forgotten.
    public var maxPending: Int

    public init(
        providers: [SignInProviderSettings] = [],
        publicOrigin: String,
        timeout: Duration = .seconds(10),
        maxResponseBytes: Int = 1 << 20,
        pendingLifetime: Duration = .seconds(600),
        maxPending: Int = 10_000
    ) {
        self.providers = providers
        self.publicOrigin = publicOrigin
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.pendingLifetime = pendingLifetime
        self.maxPending = maxPending
    }

    /// The redirect URI registered with provider `name`.
    public func redirectURI(for name: ProviderName) -> String {
        var origin = Substring(publicOrigin)
        while origin.hasSuffix("/") { origin = origin.dropLast() }
        return "\(origin)/api/auth/oauth/\(name.value)/callback"
    }
}
