import Crypto
import Foundation
import JWTKit
import Logging

/// An OpenID Connect provider (Google, Keycloak, Authentik, Dex, Okta, ...): the authorization-code flow
/// with PKCE and a `nonce`, scope `openid email`; who signed in is the ID token's `email`, trusted only
/// with `email_verified: true` and once the token passes every check (``verify(_:nonceDigest:)``).
struct OpenIDSignIn: IdentityProvider {
    let settings: SignInProviderSettings
    let metadata: OpenIDMetadata
    let client: ProviderHTTPClient
    let logger: Logger

    var usesNonce: Bool { true }

    func authorizationURL(adding parameters: [(String, String)]) async throws(SignInFailure) -> String {
        let document = try await metadata.currentDocument()
        return FormEncoding.url(document.authorizationEndpoint, adding: parameters + [("scope", "openid email")])
    }

    func identity(code: String, verifier: String, redirectURI: String, nonceDigest: SHA256Digest?) async throws(SignInFailure) -> VerifiedIdentity {
        let document = try await metadata.currentDocument()
        let tokens = try await TokenExchange(client: client, logger: logger).exchange(
            at: document.tokenEndpoint,
            settings: settings,
            code: code,
            verifier: verifier,
            redirectURI: redirectURI,
            authentication: document.clientAuthentication
        )
        guard let idToken = tokens.idToken, !idToken.isEmpty else {
            logger.warning("token endpoint gave no ID token", metadata: ["provider": "\(settings.name)"])
            throw .providerUnavailable
        }
        let claims = try await verify(idToken, nonceDigest: nonceDigest)
        guard let email = claims.email, !email.isEmpty else { throw .emailMissing }
        guard claims.emailVerified?.value == true else { throw .emailNotVerified }
        return VerifiedIdentity(email: email, name: claims.name)
    }

    /// The token's claims once it has passed every check: signed by one of the issuer's published keys
    /// (jwt-kit), not expired, `aud` naming Bureau's client id and no audience besides it (jwt-kit), `azp`
    /// Bureau's client id if present (required with several audiences), `iss` the configured issuer, and
    /// `nonce` the one this sign-in sent.
    func verify(_ token: String, nonceDigest: SHA256Digest?) async throws(SignInFailure) -> IDTokenClaims {
        guard let header = TokenHeader(token) else { throw .invalidIDToken(.malformed) }
        let keys = try await metadata.keys(for: header.keyID)
        if let keyID = header.keyID, !keys.keyIDs.contains(keyID) {
            logger.notice("ID token signed with an unknown key", metadata: ["provider": "\(settings.name)"])
            throw .invalidIDToken(.signature)
        }
        let claims: IDTokenClaims
        do {
            claims = try await keys.collection.verify(
                token,
                as: IDTokenClaims.self,
                expectedAudience: settings.clientID,
                iteratingKeys: header.keyID == nil
            )
        } catch {
            let problem = Self.problem(error)
            logger.notice("ID token refused", metadata: ["provider": "\(settings.name)", "check": "\(problem.rawValue)"])
            throw .invalidIDToken(problem)
        }
        guard claims.issuer.value == metadata.issuer else { throw .invalidIDToken(.issuer) }
        if claims.audience.value.count > 1 || claims.authorizedParty != nil {
            guard claims.authorizedParty == settings.clientID else { throw .invalidIDToken(.authorizedParty) }
        }
        guard let nonceDigest, let nonce = claims.nonce, RandomToken.digest(nonce) == nonceDigest else { throw .invalidIDToken(.nonce) }
        return claims
    }

    /// Which check a jwt-kit error stands for.
    private static func problem(_ error: any Error) -> SignInFailure.TokenProblem {
        guard let error = error as? JWTError else { return .malformed }
        switch error.errorType {
        case .signatureVerificationFailed: return .signature
        case .claimVerificationFailure:
            if error.failedClaim is ExpirationClaim { return .expired }
            if error.failedClaim is AudienceClaim { return .audience }
            return .malformed
        case .malformedToken, .invalidBool: return .malformed
        case .generic where error.identifier == "Audience": return .audience
        default: return .signature
        }
    }
}

/// The header of a JWS in compact form: its key id, read before any key is chosen.
struct TokenHeader {
    var keyID: String?

    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var text = String(parts[0]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        keyID = object["kid"] as? String
    }
}
