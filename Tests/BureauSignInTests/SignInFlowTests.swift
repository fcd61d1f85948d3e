import BureauFakeProviders
import BureauSignIn
import BureauTestSupport
import Foundation
import Testing

/// A ``ProviderSignIn`` for one fake OpenID provider, driven without Bureau's HTTP server.
struct FlowHarness {
    let provider: FakeOpenIDProvider
    let client: ProviderHTTPClient
    let signIn: ProviderSignIn
    let clock = ManualMonotonicClock()

    static let origin = "https://bureau.example"

    init(issuerPath: String = "", timeout: Duration = .seconds(10), maxResponseBytes: Int = 1 << 20) async throws {
        provider = try await FakeOpenIDProvider(issuerPath: issuerPath)
        let issuer = try await provider.start()
        client = ProviderHTTPClient(timeout: timeout, maxResponseBytes: maxResponseBytes)
        let settings = SignInSettings(
            providers: [
                SignInProviderSettings(
                    name: ProviderName("corp")!,
                    displayName: "Corp",
                    clientID: "bureau-client",
                    clientSecret: ClientSecret("bureau-secret"),
                    kind: .openID(issuer: issuer)
                )
            ],
            publicOrigin: Self.origin,
            timeout: timeout
        )
        signIn = ProviderSignIn(settings: settings, client: client, clock: clock, minimumKeysRefetch: .seconds(60))
    }

    /// Runs `body` with a new harness and closes it whatever `body` does.
    static func run(issuerPath: String = "", maxResponseBytes: Int = 1 << 20, _ body: (FlowHarness) async throws -> Void) async throws {
        let harness = try await FlowHarness(issuerPath: issuerPath, maxResponseBytes: maxResponseBytes)
        do {
            try await body(harness)
        } catch {
            await harness.close()
            throw error
        }
        await harness.close()
    }

    func close() async {
        try? await client.shutdown()
        await provider.stop()
    }

    /// Starts a sign-in, lets the fake approve it, and finishes it with the right cookie.
    func signInOnce() async throws -> VerifiedIdentity {
        let started = try await signIn.begin("corp")
        let location = try await FakeBrowser.authorize(started.authorizationURL)
        let callback = try #require(Self.callback(location))
        return try await signIn.complete("corp", callback: callback, browserBinding: started.browserBinding)
    }

    /// The query of the callback URL the provider redirected to.
    static func callback(_ location: String) -> SignInCallback? {
        guard let components = URLComponents(string: location) else { return nil }
        let items = components.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        return SignInCallback(code: value("code"), state: value("state"), error: value("error"))
    }
}

@Suite("Sign-in flow (no HTTP server of Bureau)")
struct SignInFlowTests {
    @Test("an OpenID sign-in against a fake provider whose issuer carries a path verifies the e-mail")
    func roundTrip() async throws {
        try await FlowHarness.run(issuerPath: "/realms/main") { harness in
            let identity = try await harness.signInOnce()
            #expect(identity == VerifiedIdentity(email: "ada@example.com", name: "Ada Lovelace"))
            #expect(harness.provider.discoveryRequests == 1 && harness.provider.keysRequests == 1)
            let again = try await harness.signInOnce()
            #expect(again.email == "ada@example.com")
            #expect(harness.provider.discoveryRequests == 1 && harness.provider.keysRequests == 1, "discovery and keys are cached")
        }
    }

    @Test("a token signed with a key id not yet fetched refetches the keys, but at most once a minute")
    func keyRotation() async throws {
        try await FlowHarness.run { harness in
            _ = try await harness.signInOnce()
            #expect(harness.provider.keysRequests == 1)
            harness.provider.update { $0.rotateKey = true }
            await #expect(throws: SignInFailure.self) { _ = try await harness.signInOnce() }
            #expect(harness.provider.keysRequests == 1, "fetched less than a minute ago: not fetched again")
            harness.clock.advance(by: .seconds(61))
            let identity = try await harness.signInOnce()
            #expect(identity.email == "ada@example.com")
            #expect(harness.provider.keysRequests == 2)
        }
    }

    @Test("a provider down (nothing listens) costs nothing until a sign-in needs it, then a 502, not a wait for the timeout")
    func lazyDiscovery() async throws {
        // A timeout longer than any test: a 504 would mean the refused connection was retried until it.
        let client = ProviderHTTPClient(timeout: .seconds(120), maxResponseBytes: 1 << 20)
        let provider = SignInProviderSettings(
            name: ProviderName("down")!,
            displayName: "Down",
            clientID: "id",
            clientSecret: ClientSecret("secret"),
            kind: .openID(issuer: "http://127.0.0.1:1")
        )
        // Building the flows fetches nothing: a provider down at start-up does not stop the server.
        let signIn = ProviderSignIn(settings: SignInSettings(providers: [provider], publicOrigin: FlowHarness.origin), client: client)
        do {
            _ = try await signIn.begin("down")
            Issue.record("a sign-in started without its provider")
        } catch {
            #expect(error.kind == .providerUnavailable && error.status == 502, "\(error)")
        }
        try await client.shutdown()
    }

    @Test("the start asks for a code with PKCE S256, a nonce, scope openid email and the registered redirect URI")
    func authorizationRequest() async throws {
        try await FlowHarness.run { harness in
            let started = try await harness.signIn.begin("corp")
            let items = URLComponents(string: started.authorizationURL)?.queryItems ?? []
            func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
            #expect(started.authorizationURL.hasPrefix(harness.provider.issuer + "/authorize?"))
            #expect(value("response_type") == "code" && value("client_id") == "bureau-client")
            #expect(value("redirect_uri") == "https://bureau.example/api/auth/oauth/corp/callback")
            #expect(value("scope") == "openid email")
            #expect(value("code_challenge_method") == "S256" && value("code_challenge")?.count == 43)
            #expect(value("state")?.count == 43 && value("nonce")?.count == 43)
            #expect(Set([value("state"), value("nonce"), started.browserBinding]).count == 3)
            #expect(!started.authorizationURL.contains("bureau-secret"))
        }
    }

    @Test("an answer larger than the bound is refused as unusable (502), not read whole")
    func boundedAnswers() async throws {
        try await FlowHarness.run(maxResponseBytes: 64) { harness in
            do {
                _ = try await harness.signIn.begin("corp")
                Issue.record("a discovery document over the bound was accepted")
            } catch let error as SignInFailure {
                #expect(error.kind == .providerUnavailable && error.status == 502)
            }
            #expect(harness.provider.discoveryRequests == 1)
        }
    }

    @Test("a provider that takes the client secret only in the form gets it there; by default HTTP Basic")
    func clientAuthentication() async throws {
        try await FlowHarness.run { harness in
            harness.provider.update { $0.authMethod = "client_secret_post" }
            let identity = try await harness.signInOnce()
            #expect(identity.email == "ada@example.com")
        }
        try await FlowHarness.run { harness in
            harness.provider.update { $0.authMethod = "client_secret_basic" }
            let identity = try await harness.signInOnce()
            #expect(identity.email == "ada@example.com")
        }
    }
}
