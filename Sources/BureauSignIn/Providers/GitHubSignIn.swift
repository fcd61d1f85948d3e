import Crypto
import Logging

/// GitHub (or GitHub Enterprise, or anything that answers like it): OAuth 2.0 with PKCE and scope
/// `user:email`, then the primary verified address from `{api}/user/emails` and the name from `{api}/user`.
struct GitHubSignIn: IdentityProvider {
    let settings: SignInProviderSettings
    let endpoints: GitHubEndpoints
    let client: ProviderHTTPClient
    let logger: Logger

    var usesNonce: Bool { false }

    func authorizationURL(adding parameters: [(String, String)]) async throws(SignInFailure) -> String {
        FormEncoding.url(endpoints.authorizeURL, adding: parameters + [("scope", "user:email")])
    }

    func identity(code: String, verifier: String, redirectURI: String, nonceDigest: SHA256Digest?) async throws(SignInFailure) -> VerifiedIdentity {
        let tokens = try await TokenExchange(client: client, logger: logger).exchange(
            at: endpoints.tokenURL,
            settings: settings,
            code: code,
            verifier: verifier,
            redirectURI: redirectURI,
            authentication: .post
        )
        guard let token = tokens.accessToken, !token.isEmpty else {
            logger.warning("token endpoint gave no access token", metadata: ["provider": "\(settings.name)"])
            throw .providerUnavailable
        }
        let headers = [
            ("Authorization", "Bearer \(token)"), ("Accept", "application/vnd.github+json"), ("User-Agent", "Bureau"),
            ("X-GitHub-Api-Version", "2022-11-28"),
        ]
        let api = endpoints.apiURL.hasSuffix("/") ? String(endpoints.apiURL.dropLast()) : endpoints.apiURL
        let client = client
        let userAnswer = try await ProviderCall.run(settings.name, step: "user", logger: logger) { () async throws(ProviderCallFailure) in
            try await client.get(api + "/user", headers: headers)
        }
        let user = try ProviderCall.decode(GitHubUser.self, from: userAnswer, provider: settings.name, step: "user", logger: logger)
        let emailsAnswer = try await ProviderCall.run(settings.name, step: "emails", logger: logger) { () async throws(ProviderCallFailure) in
            try await client.get(api + "/user/emails", headers: headers)
        }
        let emails = try ProviderCall.decode([GitHubEmail].self, from: emailsAnswer, provider: settings.name, step: "emails", logger: logger)
        guard !emails.isEmpty else { throw .emailMissing }
        guard let primary = emails.first(where: { $0.primary == true && $0.verified == true }) else { throw .gitHubEmailNotVerified }
        let name = user.name.flatMap { $0.isEmpty ? nil : $0 } ?? user.login
        return VerifiedIdentity(email: primary.email, name: name)
    }
}

/// The fields of GitHub's `/user` that Bureau reads.
struct GitHubUser: Decodable {
    var login: String?
    var name: String?
}

/// One entry of GitHub's `/user/emails`.
struct GitHubEmail: Decodable {
    var email: String
    var primary: Bool?
    var verified: Bool?
}
