import JWTKit

/// The claims of an OpenID Connect ID token that Bureau reads. Decoding fails (a malformed token) when
/// `iss`, `sub`, `aud` or `exp` is missing; jwt-kit checks the signature, `exp` (``verify(using:)``) and
/// `aud`, the verifier the rest.
struct IDTokenClaims: JWTIdentityToken {
    var issuer: IssuerClaim
    var subject: SubjectClaim
    var audience: AudienceClaim
    var expiration: ExpirationClaim
    var nonce: String?
    var authorizedParty: String?
    var email: String?
    var emailVerified: BoolClaim?
    var name: String?

    enum CodingKeys: String, CodingKey {
        case issuer = "iss"
        case subject = "sub"
        case audience = "aud"
        case expiration = "exp"
        case nonce
        case authorizedParty = "azp"
        case email
        case emailVerified = "email_verified"
        case name
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try expiration.verifyNotExpired()
    }
}
