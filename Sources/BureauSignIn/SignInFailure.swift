/// Why a sign-in failed, in words for the person signing in: each failure has the HTTP status it answers
/// with, a sentence saying what went wrong, and sometimes a second one (the error code a provider sent).
/// Plain text, never holding a secret (code, token, state, client secret); pages escape it.
public struct SignInFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for tests and logs.
    public enum Kind: String, Sendable {
        case unknownProvider = "unknown_provider"
        case badState = "bad_state"
        case browserMismatch = "browser_mismatch"
        case providerError = "provider_error"
        case missingCode = "missing_code"
        case codeRejected = "code_rejected"
        case providerRefused = "provider_refused"
        case emailMissing = "email_missing"
        case emailNotVerified = "email_not_verified"
        case providerUnavailable = "provider_unavailable"
        case providerTimedOut = "provider_timed_out"
        case invalidIDToken = "invalid_id_token"
        case accountRefused = "account_refused"
    }

    /// Which ID-token check failed.
    public enum TokenProblem: String, Sendable {
        case signature
        case audience
        case authorizedParty = "authorized_party"
        case issuer
        case expired
        case nonce
        case malformed
    }

    public let kind: Kind
    /// The HTTP status of the answer: 4xx, 502 when the provider is down or answers garbage, 504 when it is slow.
    public let status: Int
    /// What went wrong, in words.
    public let message: String
    /// More about it (the error code the provider sent), if anything.
    public let detail: String?
    /// For an ID token refused: which check failed.
    public let tokenProblem: TokenProblem?

    init(_ kind: Kind, status: Int, _ message: String, detail: String? = nil, tokenProblem: TokenProblem? = nil) {
        self.kind = kind
        self.status = status
        self.message = message
        self.detail = detail
        self.tokenProblem = tokenProblem
    }

    public var description: String { "SignInFailure(\(kind.rawValue)\(tokenProblem.map { ", \($0.rawValue)" } ?? ""))" }

    /// No provider of that name is configured.
    /// The name is repeated only when it could be a provider's name (`[a-z0-9-]`, 1 to 32).
    public static func unknownProvider(_ name: some StringProtocol) -> SignInFailure {
        guard ProviderName.isValid(name) else {
            return SignInFailure(.unknownProvider, status: 404, "There is no sign-in provider by that name on this server.")
        }
        return SignInFailure(.unknownProvider, status: 404, "There is no sign-in provider called “\(name)” on this server.")
    }

    static let badState = SignInFailure(
        .badState,
        status: 400,
        "This sign-in link is not valid: it has expired, was already used, or was not started here. Please sign in again."
    )

    static let browserMismatch = SignInFailure(
        .browserMismatch,
        status: 400,
        "This sign-in was not started in this browser (its sign-in cookie is missing or different). Please sign in again from the sign-in page, in the same browser."
    )

    /// The provider sent the browser back with `?error=code`.
    static func providerError(_ code: String?) -> SignInFailure {
        let safe = ProviderErrorCode.sanitized(code)
        if safe == "access_denied" {
            return SignInFailure(
                .providerError,
                status: 403,
                "The sign-in was cancelled: the request to share your identity was declined.",
                detail: "The provider answered: access_denied."
            )
        }
        return SignInFailure(.providerError, status: 400, "The provider did not sign you in.", detail: "The provider answered: \(safe).")
    }

    static let missingCode = SignInFailure(.missingCode, status: 400, "The provider sent you back without a sign-in code. Please sign in again.")

    static let codeRejected = SignInFailure(
        .codeRejected,
        status: 400,
        "The provider refused the sign-in code: it has expired or was already used. Please sign in again."
    )

    /// The token endpoint refused Bureau's request for a reason other than the code (its client id or
    /// secret, say): a problem of this server's configuration, not of the person.
    static func providerRefused(_ code: String?) -> SignInFailure {
        SignInFailure(
            .providerRefused,
            status: 502,
            "The provider refused this server's sign-in request. The server's operator should check its client id and secret.",
            detail: "The provider answered: \(ProviderErrorCode.sanitized(code))."
        )
    }

    static let emailMissing = SignInFailure(
        .emailMissing,
        status: 403,
        "The provider did not tell this server an e-mail address for your account, so you cannot be signed in."
    )

    static let emailNotVerified = SignInFailure(
        .emailNotVerified,
        status: 403,
        "Your e-mail address is not verified with the provider. Verify it there, then sign in again."
    )

    static let gitHubEmailNotVerified = SignInFailure(
        .emailNotVerified,
        status: 403,
        "Your GitHub account has no verified primary e-mail address. Verify one on GitHub, then sign in again."
    )

    static let providerUnavailable = SignInFailure(
        .providerUnavailable,
        status: 502,
        "The sign-in provider could not be reached or gave an answer this server cannot use. Please try again later."
    )

    static let providerTimedOut = SignInFailure(
        .providerTimedOut,
        status: 504,
        "The sign-in provider took too long to answer. Please try again later."
    )

    static func invalidIDToken(_ problem: TokenProblem) -> SignInFailure {
        let why =
            switch problem {
            case .signature: "its signature is not the provider's"
            case .audience: "it was issued for another application"
            case .authorizedParty: "it was issued to another application"
            case .issuer: "it comes from another issuer"
            case .expired: "it has expired"
            case .nonce: "it does not belong to this sign-in"
            case .malformed: "it is malformed"
            }
        return SignInFailure(
            .invalidIDToken,
            status: 401,
            "The identity the provider sent could not be verified (\(why)), so you were not signed in.",
            tokenProblem: problem
        )
    }

    /// The address the provider gave is not one this server accepts.
    public static let accountRefused = SignInFailure(
        .accountRefused,
        status: 403,
        "The e-mail address the provider gave is not one this server can use."
    )
}

/// An error code a provider sent (`?error=`, a token endpoint's `error`), reduced to what can be shown:
/// at most 64 characters of `[A-Za-z0-9_.-]`, else `unknown`.
enum ProviderErrorCode {
    static func sanitized(_ code: String?) -> String {
        guard let code, (1...64).contains(code.utf8.count),
            code.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            })
        else { return "unknown" }
        return code
    }
}
