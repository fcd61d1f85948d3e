import Foundation
import Logging
import NIOCore

/// The token endpoint's answer (RFC 6749 §5.1 and §5.2): the tokens, or an error code.
struct TokenAnswer: Decodable {
    var accessToken: String?
    var idToken: String?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case idToken = "id_token"
        case error
    }
}

/// How Bureau proves itself to a token endpoint: HTTP Basic (`client_secret_basic`, the OpenID default)
/// or in the form (`client_secret_post`, what GitHub expects).
enum ClientAuthentication {
    case basic
    case post
}

/// The authorization-code exchange (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.5). Neither the code, the
/// verifier, the secret nor any token is ever logged or put in an error.
struct TokenExchange {
    let client: ProviderHTTPClient
    let logger: Logger

    func exchange(
        at url: String,
        settings: SignInProviderSettings,
        code: String,
        verifier: String,
        redirectURI: String,
        authentication: ClientAuthentication
    ) async throws(SignInFailure) -> TokenAnswer {
        var form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier),
            ("client_id", settings.clientID),
        ]
        var headers = [("Accept", "application/json")]
        switch authentication {
        case .basic:
            let credentials = FormEncoding.escape(settings.clientID) + ":" + FormEncoding.escape(settings.clientSecret.value)
            headers.append(("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString()))
        case .post:
            form.append(("client_secret", settings.clientSecret.value))
        }
        let answer = try await ProviderCall.run(settings.name, step: "token", logger: logger) { () async throws(ProviderCallFailure) in
            try await client.postForm(url, form: form, headers: headers)
        }
        let decoded = try? JSONDecoder().decode(TokenAnswer.self, from: Data(answer.body.readableBytesView))
        if let error = decoded?.error, answer.status < 500 {
            // GitHub answers 200 with an error; others 400 or 401.
            logger.notice(
                "sign-in refused by the token endpoint",
                metadata: ["provider": "\(settings.name)", "error": "\(ProviderErrorCode.sanitized(error))"]
            )
            switch error {
            case "invalid_grant", "bad_verification_code": throw .codeRejected
            default: throw .providerRefused(error)
            }
        }
        guard answer.status == 200, let decoded else {
            logger.warning("unusable answer from the token endpoint", metadata: ["provider": "\(settings.name)", "status": "\(answer.status)"])
            throw .providerUnavailable
        }
        return decoded
    }
}

/// One call to a provider, its failure turned into the sign-in's (timeout: 504, anything else: 502) and
/// logged with the provider and the step, never with what was sent.
enum ProviderCall {
    static func run(
        _ provider: ProviderName,
        step: String,
        logger: Logger,
        _ call: () async throws(ProviderCallFailure) -> ProviderAnswer
    ) async throws(SignInFailure) -> ProviderAnswer {
        do {
            return try await call()
        } catch {
            switch error {
            case .timedOut:
                logger.warning("sign-in provider too slow", metadata: ["provider": "\(provider)", "step": "\(step)"])
                throw SignInFailure.providerTimedOut
            case .unreachable(let reason):
                logger.warning("sign-in provider unreachable", metadata: ["provider": "\(provider)", "step": "\(step)", "error": "\(reason)"])
                throw SignInFailure.providerUnavailable
            }
        }
    }

    /// `answer`'s body decoded as `T` when its status is 200; else a logged 502.
    static func decode<T: Decodable>(
        _ type: T.Type,
        from answer: ProviderAnswer,
        provider: ProviderName,
        step: String,
        logger: Logger
    ) throws(SignInFailure) -> T {
        guard answer.status == 200, let value = try? JSONDecoder().decode(T.self, from: Data(answer.body.readableBytesView)) else {
            logger.warning(
                "unusable answer from sign-in provider",
                metadata: ["provider": "\(provider)", "step": "\(step)", "status": "\(answer.status)"]
            )
            throw .providerUnavailable
        }
        return value
    }
}
