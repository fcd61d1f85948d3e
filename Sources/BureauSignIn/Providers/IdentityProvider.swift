import Crypto

/// Who signed in, as a provider vouches for it: an e-mail address the provider has verified belongs to
/// the person, and a name if it gave one.
public struct VerifiedIdentity: Sendable, Equatable {
    public var email: String
    public var name: String?

    public init(email: String, name: String?) {
        self.email = email
        self.name = name
    }
}

/// One provider's part of a sign-in: where to send the browser, and, given the code it sends back, who
/// signed in.
protocol IdentityProvider: Sendable {
    var settings: SignInProviderSettings { get }
    /// Whether the flow carries a `nonce` (OpenID Connect: it must come back in the ID token).
    var usesNonce: Bool { get }
    /// The URL of the provider's authorization endpoint with `parameters` added.
    func authorizationURL(adding parameters: [(String, String)]) async throws(SignInFailure) -> String
    /// Exchanges `code` (with the PKCE `verifier`) and finds out who signed in.
    func identity(code: String, verifier: String, redirectURI: String, nonceDigest: SHA256Digest?) async throws(SignInFailure) -> VerifiedIdentity
}
