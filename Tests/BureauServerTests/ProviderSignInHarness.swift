import BureauFakeProviders
import BureauServer
import BureauSignIn
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

/// A journal that remembers every mutation it was given.
final class RecordingJournal: MutationJournal {
    private let recorded = Mutex<[Mutation]>([])
    func append(_ mutation: Mutation, sequence: UInt64) throws { recorded.withLock { $0.append(mutation) } }
    func waitUntilDurable(_ sequence: UInt64) async throws {}
    var mutations: [Mutation] { recorded.withLock { $0 } }
}

/// A Bureau with sign-in providers pointing at fakes on loopback: `github` (a fake GitHub), `corp` and
/// `google` (one fake OpenID provider whose issuer carries a path), and providers that cannot work:
/// `down` (an OpenID issuer where nothing listens) and `github-down` (GitHub whose token endpoint is
/// where nothing listens).
struct ProviderSignInHarness {
    static let origin = "https://bureau.example"
    static let clientID = "bureau-client"
    static let unreachable = "http://127.0.0.1:1"

    let openID: FakeOpenIDProvider
    let github: FakeGitHubProvider
    let client: ProviderHTTPClient
    let clock = ManualMonotonicClock()
    let journal = RecordingJournal()
    let harness: TestHarness

    init(timeout: Duration = .seconds(10), configure: (inout ServerSettings) -> Void = { _ in }) async throws {
        openID = try await FakeOpenIDProvider(issuerPath: "/realms/main")
        var behavior = FakeOpenIDProvider.Behavior()
        behavior.clientID = Self.clientID
        behavior.clientSecret = "oidc-secret"
        openID.update { $0 = behavior }
        let issuer = try await openID.start()
        github = FakeGitHubProvider()
        try await github.start()
        client = ProviderHTTPClient(timeout: timeout, maxResponseBytes: 1 << 20)
        let secret = ClientSecret("oidc-secret")
        let providers = [
            SignInProviderSettings(
                name: ProviderName("github")!,
                displayName: "GitHub",
                clientID: "github-client",
                clientSecret: ClientSecret("github-secret"),
                kind: .github(GitHubEndpoints(authorizeURL: github.authorizeURL, tokenURL: github.tokenURL, apiURL: github.apiURL))
            ),
            SignInProviderSettings(
                name: ProviderName("corp")!,
                displayName: "Corp SSO",
                clientID: Self.clientID,
                clientSecret: secret,
                kind: .openID(issuer: issuer)
            ),
            SignInProviderSettings(
                name: ProviderName("google")!,
                displayName: "Google",
                clientID: Self.clientID,
                clientSecret: secret,
                kind: .openID(issuer: issuer)
            ),
            SignInProviderSettings(
                name: ProviderName("down")!,
                displayName: "Down",
                clientID: Self.clientID,
                clientSecret: secret,
                kind: .openID(issuer: Self.unreachable)
            ),
            SignInProviderSettings(
                name: ProviderName("github-down")!,
                displayName: "GitHub (down)",
                clientID: "github-client",
                clientSecret: ClientSecret("github-secret"),
                kind: .github(GitHubEndpoints(authorizeURL: github.authorizeURL, tokenURL: Self.unreachable + "/token", apiURL: github.apiURL))
            ),
        ]
        var settings = TestHarness.settings
        settings.publicOrigin = Self.origin
        settings.devLogin = true
        settings.signInProviders = providers.map { SignInProviderListing(name: $0.name.value, displayName: $0.displayName) }
        configure(&settings)
        let signIn = ProviderSignIn(
            settings: SignInSettings(providers: providers, publicOrigin: Self.origin, timeout: timeout),
            client: client,
            clock: clock
        )
        harness = TestHarness(settings: settings, journal: journal, signIn: signIn)
    }

    var store: BureauStore { harness.store }
    var services: BureauServices { harness.services }

    /// Users and sessions in the store.
    var counts: (users: Int, sessions: Int) { store.read { ($0.users.count, $0.sessions.count) } }

    /// Runs `body` with a new harness, and closes the harness (its HTTP client, the fakes) whatever
    /// `body` does.
    static func run(
        timeout: Duration = .seconds(10),
        configure: (inout ServerSettings) -> Void = { _ in },
        _ body: (ProviderSignInHarness) async throws -> Void
    ) async throws {
        let fixture = try await ProviderSignInHarness(timeout: timeout, configure: configure)
        do {
            try await body(fixture)
        } catch {
            await fixture.close()
            throw error
        }
        await fixture.close()
    }

    func close() async {
        try? await client.shutdown()
        await openID.stop()
        await github.stop()
    }

    /// A sign-in started by the browser and approved by the provider: where the provider sends the
    /// browser back (path and query on Bureau) and the sign-in cookie the start set (`name=value`).
    struct Round {
        var start: TestResponse
        var callback: String
        var cookie: String
    }

    /// Starts a sign-in with `provider` and lets the fake approve it.
    func begin(_ client: some TestClientProtocol, _ provider: String) async throws -> Round {
        let start = try await client.send(.get, "/api/auth/oauth/\(provider)")
        let location = try #require(start.headers[.location], "the start redirects")
        let setCookie = try #require(start.headers[.setCookie])
        let back = try await FakeBrowser.authorize(location)
        #expect(back.hasPrefix(Self.origin + "/api/auth/oauth/\(provider)/callback?"))
        return Round(start: start, callback: String(back.dropFirst(Self.origin.count)), cookie: String(setCookie.prefix { $0 != ";" }))
    }

    /// Brings the browser back to the callback with `cookies` (default: the round's sign-in cookie).
    func finish(_ client: some TestClientProtocol, _ round: Round, cookies: [String]? = nil) async throws -> TestResponse {
        var headers = HTTPFields()
        let cookies = cookies ?? [round.cookie]
        if !cookies.isEmpty { headers[.cookie] = cookies.joined(separator: "; ") }
        return try await client.send(.get, round.callback, headers: headers)
    }

    /// The session cookie (`name=value`) a successful callback set.
    func sessionCookie(_ response: TestResponse) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(services.cookie.name + "=") }.map { String($0.prefix { $0 != ";" }) }
    }
}

/// Checks a failed sign-in's answer: the status, an HTML page that says `words` and links back to `/`,
/// the strict headers, the sign-in cookie cleared, and no session cookie.
func expectFailurePage(
    _ response: TestResponse,
    _ status: HTTPResponse.Status,
    saying words: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "text/html; charset=utf-8", sourceLocation: sourceLocation)
    #expect(
        response.headers[.contentSecurityPolicy] == "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        sourceLocation: sourceLocation
    )
    #expect(response.headers[.xContentTypeOptions] == "nosniff", sourceLocation: sourceLocation)
    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", sourceLocation: sourceLocation)
    #expect(response.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
    #expect(response.text.contains(words), "page: \(response.text)", sourceLocation: sourceLocation)
    #expect(response.text.contains(#"<a href="/">"#), sourceLocation: sourceLocation)
    #expect(!response.text.contains("<script"), sourceLocation: sourceLocation)
    #expect(!response.text.contains("style="), sourceLocation: sourceLocation)
    let cookies = response.headers[values: .setCookie]
    #expect(cookies.contains { $0.contains("bureau_signin=;") && $0.contains("Max-Age=0") }, sourceLocation: sourceLocation)
    #expect(!cookies.contains { $0.contains("bureau_session=") }, sourceLocation: sourceLocation)
}
