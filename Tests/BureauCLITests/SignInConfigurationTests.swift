import ArgumentParser
import BureauServer
import BureauSignIn
import Foundation
import Testing

@testable import BureauCLI

@Suite("Sign-in provider configuration")
struct SignInConfigurationTests {
    static func load(_ yaml: String?, environment: [String: String] = [:], flags: [String: String] = [:]) throws -> BureauConfiguration {
        try BureauConfiguration.load(file: try yaml.map(ConfigurationTests.file), environment: environment, flags: flags)
    }

    /// The message of the configuration error `body` throws.
    static func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    static func secretFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bureau-secret-\(UUID().uuidString)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("no provider by default; the timeout defaults to 10 seconds")
    func defaults() throws {
        let configuration = try Self.load(nil)
        #expect(configuration.signIn.providers.isEmpty && configuration.server.signInProviders.isEmpty)
        #expect(configuration.signIn.timeout == .seconds(10))
    }

    @Test("GitHub, Google and OpenID providers from the file, secrets from the environment and a file, in order, listed for the sign-in page")
    func providers() throws {
        let githubSecretFile = try Self.secretFile("  gh-secret-from-file \n")
        let configuration = try Self.load(
            """
            http:
              public_origin: https://bureau.example
            auth:
              oauth:
                timeout_seconds: 5
                github:
                  client_id: gh-id
                  client_secret_file: \(githubSecretFile)
                  api_url: https://ghe.example/api/v3
                google:
                  client_id: g-id
              oidc:
                corp:
                  issuer: https://sso.example.com/realms/main
                  client_id: corp-id
                  display_name: Corp SSO
                dex-2:
                  issuer: http://127.0.0.1:5556/dex
                  client_id: dex-id
                  client_secret: dex-secret-in-file
            """,
            environment: ["BUREAU_AUTH_OAUTH_GOOGLE_CLIENT_SECRET": "g-secret", "BUREAU_AUTH_OIDC_CORP_CLIENT_SECRET": "corp-secret"]
        )
        let providers = configuration.signIn.providers
        #expect(providers.map(\.name.value) == ["github", "google", "corp", "dex-2"])
        #expect(providers.map(\.clientSecret.value) == ["gh-secret-from-file", "g-secret", "corp-secret", "dex-secret-in-file"])
        #expect(providers.map(\.clientID) == ["gh-id", "g-id", "corp-id", "dex-id"])
        #expect(
            providers[0].kind
                == .github(
                    GitHubEndpoints(
                        authorizeURL: "https://github.com/login/oauth/authorize",
                        tokenURL: "https://github.com/login/oauth/access_token",
                        apiURL: "https://ghe.example/api/v3"
                    )
                )
        )
        #expect(providers[1].kind == .openID(issuer: "https://accounts.google.com"))
        #expect(providers[2].kind == .openID(issuer: "https://sso.example.com/realms/main"))
        #expect(
            configuration.server.signInProviders == [
                SignInProviderListing(name: "github", displayName: "GitHub"), SignInProviderListing(name: "google", displayName: "Google"),
                SignInProviderListing(name: "corp", displayName: "Corp SSO"), SignInProviderListing(name: "dex-2", displayName: "dex-2"),
            ]
        )
        #expect(configuration.signIn.timeout == .seconds(5))
        #expect(configuration.signIn.redirectURI(for: ProviderName("corp")!) == "https://bureau.example/api/auth/oauth/corp/callback")
    }

    @Test("a provider named only in the environment (a - of its name written _)")
    func environmentOnly() throws {
        let configuration = try Self.load(
            nil,
            environment: [
                "BUREAU_AUTH_OIDC_MY_SSO_ISSUER": "https://sso.example.com", "BUREAU_AUTH_OIDC_MY_SSO_CLIENT_ID": "id",
                "BUREAU_AUTH_OIDC_MY_SSO_CLIENT_SECRET": "secret", "BUREAU_AUTH_OIDC_MY_SSO_DISPLAY_NAME": "My SSO",
            ]
        )
        #expect(configuration.server.signInProviders == [SignInProviderListing(name: "my-sso", displayName: "My SSO")])
        #expect(configuration.signIn.providers.first?.kind == .openID(issuer: "https://sso.example.com"))
        let secretFile = try Self.secretFile("from-a-file\n")
        let fromFile = try Self.load(
            nil,
            environment: [
                "BUREAU_AUTH_OIDC_CORP_ISSUER": "https://corp.example", "BUREAU_AUTH_OIDC_CORP_CLIENT_ID": "id",
                "BUREAU_AUTH_OIDC_CORP_CLIENT_SECRET_FILE": secretFile,
            ]
        )
        #expect(
            fromFile.signIn.providers.map(\.clientSecret.value) == ["from-a-file"],
            "…_CLIENT_SECRET_FILE is the file, not a provider corp-client-secret"
        )
    }

    @Test("an incomplete provider stops start-up naming it")
    func incomplete() throws {
        let github = Self.error { _ = try Self.load("auth:\n  oauth:\n    github:\n      client_id: gh-id\n") }
        #expect(github.contains("sign-in provider github is incomplete") && github.contains("BUREAU_AUTH_OAUTH_GITHUB_CLIENT_SECRET"))
        let google = Self.error { _ = try Self.load(nil, environment: ["BUREAU_AUTH_OAUTH_GOOGLE_CLIENT_SECRET": "s"]) }
        #expect(google.contains("sign-in provider google is incomplete") && google.contains("client_id"))
        let endpointOnly = Self.error { _ = try Self.load(nil, flags: ["auth.oauth.github.api_url": "https://ghe.example/api/v3"]) }
        #expect(endpointOnly.contains("sign-in provider github is incomplete"))
        let noIssuer = Self.error {
            _ = try Self.load("auth:\n  oidc:\n    corp:\n      client_id: x\n", environment: ["BUREAU_AUTH_OIDC_CORP_CLIENT_SECRET": "s"])
        }
        #expect(noIssuer.contains("sign-in provider corp is incomplete") && noIssuer.contains("issuer"))
        let noSecret = Self.error { _ = try Self.load("auth:\n  oidc:\n    corp:\n      issuer: https://sso.example.com\n      client_id: x\n") }
        #expect(noSecret.contains("sign-in provider corp is incomplete"))
    }

    @Test("a secret in both places, an unreadable or empty secret file, a plain-HTTP endpoint are refused")
    func badSecretsAndEndpoints() throws {
        let both = Self.error {
            _ = try Self.load(
                "auth:\n  oauth:\n    github:\n      client_id: x\n      client_secret_file: /nonexistent\n",
                environment: ["BUREAU_AUTH_OAUTH_GITHUB_CLIENT_SECRET": "hunter2"]
            )
        }
        #expect(both.contains("not both") && !both.contains("hunter2"))
        let missing = Self.error {
            _ = try Self.load("auth:\n  oauth:\n    github:\n      client_id: x\n      client_secret_file: /nonexistent/secret\n")
        }
        #expect(missing.contains("cannot read auth.oauth.github.client_secret_file"))
        let empty = try Self.secretFile(" \n")
        #expect(
            Self.error { _ = try Self.load("auth:\n  oauth:\n    github:\n      client_id: x\n      client_secret_file: \(empty)\n") }.contains(
                "is empty"
            )
        )
        let plain = Self.error {
            _ = try Self.load(
                "auth:\n  oidc:\n    corp:\n      issuer: http://sso.example.com\n      client_id: x\n      client_secret: hunter2\n"
            )
        }
        #expect(plain.contains("auth.oidc.corp.issuer") && plain.contains("https://") && !plain.contains("hunter2"))
    }

    @Test("provider names outside [a-z0-9-], 1 to 32, are refused, as are the built-in names for a generic provider")
    func badNames() throws {
        for name in ["Corp", "my_sso", "a.b", String(repeating: "a", count: 33), "\"é\""] {
            let message = Self.error { _ = try Self.load("auth:\n  oidc:\n    \(name):\n      issuer: https://x.example\n") }
            #expect(message.contains("invalid sign-in provider name"), "\(name): \(message)")
        }
        #expect(
            Self.error { _ = try Self.load(nil, environment: ["BUREAU_AUTH_OIDC__ISSUER": "https://x.example"]) }.contains(
                "invalid sign-in provider name"
            )
        )
        #expect(
            Self.error { _ = try Self.load(nil, environment: ["BUREAU_AUTH_OIDC_CORP_COLOUR": "red"]) }.contains("unknown configuration variable")
        )
        #expect(
            Self.error { _ = try Self.load("auth:\n  oidc:\n    corp:\n      colour: red\n") }.contains(
                "unknown configuration key auth.oidc.corp.colour"
            )
        )
        let taken = Self.error {
            _ = try Self.load("auth:\n  oidc:\n    github:\n      issuer: https://x.example\n      client_id: x\n      client_secret: s\n")
        }
        #expect(taken.contains("belongs to the built-in provider"))
    }

    @Test("a client secret is never a flag, and the refusal does not repeat it")
    func secretNotAFlag() throws {
        for flag in ["--auth-oauth-github-client-secret", "--auth-oauth-google-client-secret", "--auth-oidc-corp-client-secret"] {
            var options = try ConfigurationOptions.parse([flag, "hunter2"])
            options.config = nil
            let message = Self.error { _ = try options.flagValues() }
            #expect(message.contains("cannot be given on the command line") && !message.contains("hunter2"), "\(flag): \(message)")
        }
        let options = try ConfigurationOptions.parse(["--auth-oidc-my-sso-issuer", "https://sso.example.com", "--auth-oauth-github-client-id", "x"])
        #expect(try options.flagValues() == ["auth.oidc.my-sso.issuer": "https://sso.example.com", "auth.oauth.github.client_id": "x"])
    }

    @Test("the demo configuration keeps dev login and configures no provider (its examples are commented out)")
    func demo() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures/demo.yaml").path
        let configuration = try BureauConfiguration.load(file: path, environment: [:], flags: [:])
        #expect(configuration.devLogin && configuration.signIn.providers.isEmpty)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("#   github:") && text.contains("#   google:") && text.contains("# oidc:"))
    }
}
