import BureauSignIn
import BureauStore
import Foundation

/// The sign-in providers of the configuration (`auth.oauth.github.*`, `auth.oauth.google.*`,
/// `auth.oidc.NAME.*`), checked: a provider with some settings but not all (a client id without a secret,
/// say) stops start-up naming it; a secret comes from its key (file or `BUREAU_*` variable) or is read,
/// trimmed, from `client_secret_file`, never both; every endpoint is `https://` (or `http://` on loopback).
/// No error quotes a secret.
enum SignInConfiguration {
    static func settings(_ loaded: LoadedConfiguration, publicOrigin: String) throws(ConfigurationError) -> SignInSettings {
        var providers: [SignInProviderSettings] = []
        if let github = try gitHub(loaded) { providers.append(github) }
        if let google = try google(loaded) { providers.append(google) }
        for name in loaded.openIDProviders {
            providers.append(try openID(name, loaded))
        }
        return SignInSettings(
            providers: providers,
            publicOrigin: publicOrigin,
            timeout: .seconds(loaded.integer("auth.oauth.timeout_seconds"))
        )
    }

    private static func gitHub(_ loaded: LoadedConfiguration) throws(ConfigurationError) -> SignInProviderSettings? {
        let prefix = "auth.oauth.github"
        let endpoints = GitHubEndpoints(
            authorizeURL: loaded.string("\(prefix).authorize_url"),
            tokenURL: loaded.string("\(prefix).token_url"),
            apiURL: loaded.string("\(prefix).api_url")
        )
        let customised = endpoints != GitHubEndpoints()
        guard let (clientID, secret) = try client(prefix, provider: "github", loaded, mentioned: customised) else { return nil }
        for (field, url) in [("authorize_url", endpoints.authorizeURL), ("token_url", endpoints.tokenURL), ("api_url", endpoints.apiURL)] {
            try checkEndpoint(url, key: "\(prefix).\(field)")
        }
        return SignInProviderSettings(
            name: ProviderName("github")!,
            displayName: "GitHub",
            clientID: clientID,
            clientSecret: secret,
            kind: .github(endpoints)
        )
    }

    private static func google(_ loaded: LoadedConfiguration) throws(ConfigurationError) -> SignInProviderSettings? {
        let prefix = "auth.oauth.google"
        let issuer = loaded.string("\(prefix).issuer")
        guard let (clientID, secret) = try client(prefix, provider: "google", loaded, mentioned: issuer != SignInSettings.googleIssuer) else {
            return nil
        }
        try checkEndpoint(issuer, key: "\(prefix).issuer")
        return SignInProviderSettings(
            name: ProviderName("google")!,
            displayName: "Google",
            clientID: clientID,
            clientSecret: secret,
            kind: .openID(issuer: issuer)
        )
    }

    private static func openID(_ name: String, _ loaded: LoadedConfiguration) throws(ConfigurationError) -> SignInProviderSettings {
        let prefix = "\(OpenIDProviderKeys.prefix)\(name)"
        guard let providerName = ProviderName(name) else {
            throw ConfigurationError("invalid sign-in provider name in \(prefix): use 1 to 32 of a-z, 0-9 and -")
        }
        guard name != "github" && name != "google" else {
            throw ConfigurationError("\(prefix): the name \(name) belongs to the built-in provider (auth.oauth.\(name)); choose another")
        }
        let issuer = loaded.string("\(prefix).issuer")
        guard let (clientID, secret) = try client(prefix, provider: name, loaded, mentioned: true) else {
            throw ConfigurationError("sign-in provider \(name) is incomplete: \(prefix).client_id is missing")
        }
        guard !issuer.isEmpty else { throw ConfigurationError("sign-in provider \(name) is incomplete: \(prefix).issuer is missing") }
        try checkEndpoint(issuer, key: "\(prefix).issuer")
        let displayName: String
        let rawDisplayName = loaded.string("\(prefix).display_name")
        if rawDisplayName.isEmpty {
            displayName = name
        } else {
            guard case .success(let checked) = InputRules.displayName(rawDisplayName) else {
                throw ConfigurationError(
                    "invalid value for \(prefix).display_name: expected 1 to 100 characters, without control or direction-changing characters"
                )
            }
            displayName = checked
        }
        return SignInProviderSettings(
            name: providerName,
            displayName: displayName,
            clientID: clientID,
            clientSecret: secret,
            kind: .openID(issuer: issuer)
        )
    }

    /// The client id and secret under `prefix`: `nil` when neither (nor anything else about the provider,
    /// `mentioned`) is set; an error naming the provider when only part of them is.
    private static func client(
        _ prefix: String,
        provider: String,
        _ loaded: LoadedConfiguration,
        mentioned: Bool
    ) throws(ConfigurationError) -> (String, ClientSecret)? {
        let clientID = loaded.string("\(prefix).client_id").trimmingCharacters(in: .whitespaces)
        let inline = loaded.string("\(prefix).client_secret")
        let file = loaded.string("\(prefix).client_secret_file")
        guard !clientID.isEmpty || !inline.isEmpty || !file.isEmpty || mentioned else { return nil }
        guard !clientID.isEmpty else { throw ConfigurationError("sign-in provider \(provider) is incomplete: \(prefix).client_id is missing") }
        guard inline.isEmpty || file.isEmpty else {
            throw ConfigurationError("sign-in provider \(provider): set \(prefix).client_secret or \(prefix).client_secret_file, not both")
        }
        let secret: String
        if !file.isEmpty {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("cannot read \(prefix).client_secret_file \(TerminalText.escaped(file))")
            }
            secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw ConfigurationError("\(prefix).client_secret_file \(TerminalText.escaped(file)) is empty") }
        } else {
            secret = inline.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !secret.isEmpty else {
            throw ConfigurationError(
                "sign-in provider \(provider) is incomplete: no client secret (set \(ConfigurationKey.environmentName(of: "\(prefix).client_secret")) or \(prefix).client_secret_file)"
            )
        }
        return (clientID, ClientSecret(secret))
    }

    private static func checkEndpoint(_ url: String, key: String) throws(ConfigurationError) {
        guard EndpointURL.isAcceptable(url) else {
            throw ConfigurationError("invalid value for \(key): expected an https:// URL (http:// only on localhost)")
        }
    }
}
