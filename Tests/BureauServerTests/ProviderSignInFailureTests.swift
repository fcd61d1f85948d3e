import BureauFakeProviders
import BureauServer
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every way a sign-in fails: an HTML page that says why, the right status, and nothing changed (no
/// user, no session, the pending sign-in used up).
@Suite("Sign-in with providers: failures")
struct ProviderSignInFailureTests {
    @Test("an unknown or unconfigured provider is 404, at the start and at the callback; a name that cannot be one is not repeated")
    func unknownProvider() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                expectFailurePage(try await client.send(.get, "/api/auth/oauth/gitlab"), .notFound, saying: "no sign-in provider called “gitlab”")
                expectFailurePage(try await client.send(.get, "/api/auth/oauth/gitlab/callback?code=a&state=b"), .notFound, saying: "gitlab")
                let hostile = try await client.send(.get, "/api/auth/oauth/%3Cscript%3Ex")
                expectFailurePage(hostile, .notFound, saying: "no sign-in provider by that name")
                #expect(!hostile.text.contains("script"))
            }
            // Without any provider configured, the routes still answer 404 pages.
            let bare = TestHarness()
            try await bare.application.test(.router) { client in
                expectFailurePage(try await client.send(.get, "/api/auth/oauth/github"), .notFound, saying: "no sign-in provider")
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("a missing, unknown or replayed state is refused; the code is never exchanged")
    func badState() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                let round = try await fixture.begin(client, "corp")
                let withoutState = round.callback.replacingOccurrences(of: "&state=", with: "&other=")
                expectFailurePage(try await fixture.finish(client, Self.with(round, callback: withoutState)), .badRequest, saying: "not valid")
                let made_up = round.callback.components(separatedBy: "&state=")[0] + "&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                expectFailurePage(try await fixture.finish(client, Self.with(round, callback: made_up)), .badRequest, saying: "not valid")
                #expect(fixture.openID.tokenRequests == 0)

                // The real callback works once; replayed, it fails.
                #expect(try await fixture.finish(client, round).status == .seeOther)
                expectFailurePage(try await fixture.finish(client, round), .badRequest, saying: "already used")
                #expect(fixture.openID.tokenRequests == 1)
            }
            #expect(fixture.counts == (1, 1), "only the one good callback signed in")
        }
    }

    @Test("a state used from another browser (no sign-in cookie, or another one) is refused, and used up")
    func browserBinding() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                let first = try await fixture.begin(client, "corp")
                expectFailurePage(try await fixture.finish(client, first, cookies: []), .badRequest, saying: "not started in this browser")
                expectFailurePage(try await fixture.finish(client, first), .badRequest, saying: "not valid", )
                let second = try await fixture.begin(client, "corp")
                let other = try await fixture.begin(client, "corp")
                expectFailurePage(
                    try await fixture.finish(client, second, cookies: [other.cookie]),
                    .badRequest,
                    saying: "not started in this browser"
                )
                let forged = "__Host-bureau_signin=" + String(repeating: "A", count: 43)
                expectFailurePage(try await fixture.finish(client, other, cookies: [forged]), .badRequest, saying: "not started in this browser")
                #expect(fixture.openID.tokenRequests == 0)
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("a pending sign-in expires after 10 minutes")
    func expiredState() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                let round = try await fixture.begin(client, "corp")
                fixture.clock.advance(by: .seconds(601))
                expectFailurePage(try await fixture.finish(client, round), .badRequest, saying: "expired")
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("a code the token endpoint refuses (expired or replayed) is a 400 saying so")
    func codeRefused() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                fixture.openID.update { $0.tokenError = "invalid_grant" }
                expectFailurePage(
                    try await fixture.finish(client, try await fixture.begin(client, "corp")),
                    .badRequest,
                    saying: "refused the sign-in code"
                )
                fixture.github.update { $0.tokenError = "bad_verification_code" }
                expectFailurePage(
                    try await fixture.finish(client, try await fixture.begin(client, "github")),
                    .badRequest,
                    saying: "refused the sign-in code"
                )
                fixture.openID.update { $0.tokenError = "invalid_client" }
                let misconfigured = try await fixture.finish(client, try await fixture.begin(client, "corp"))
                expectFailurePage(misconfigured, .badGateway, saying: "client id and secret")
                #expect(misconfigured.text.contains("invalid_client"))
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("the provider's error is shown by its code only: no description, nothing unescaped")
    func providerError() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                fixture.openID.update { $0.authorizeError = "access_denied" }
                let round = try await fixture.begin(client, "corp")
                #expect(round.callback.contains("error_description="))
                let denied = try await fixture.finish(client, round)
                expectFailurePage(denied, .forbidden, saying: "access_denied")
                #expect(!denied.text.contains("the provider says no"))
                expectFailurePage(try await fixture.finish(client, round), .forbidden, saying: "access_denied")

                fixture.openID.update { $0.authorizeError = "<b>odd</b>" }
                let odd = try await fixture.finish(client, try await fixture.begin(client, "corp"))
                expectFailurePage(odd, .badRequest, saying: "The provider answered: unknown.")
                #expect(!odd.text.contains("<b>"))
                fixture.github.update { $0.authorizeError = "access_denied" }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "github")), .forbidden, saying: "declined")
                #expect(fixture.openID.tokenRequests == 0 && fixture.github.tokenRequests == 0)
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("an unverified or missing e-mail signs no one in")
    func unverifiedEmail() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                fixture.openID.update { $0.emailVerified = false }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "corp")), .forbidden, saying: "not verified")
                fixture.openID.update { $0.emailVerified = nil }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "corp")), .forbidden, saying: "not verified")
                fixture.openID.update {
                    $0.emailVerified = true
                    $0.email = nil
                }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "corp")), .forbidden, saying: "did not tell")
                fixture.github.update {
                    $0.emails = [.init("octo@example.com", primary: true, verified: false), .init("b@example.com", primary: false, verified: true)]
                }
                expectFailurePage(
                    try await fixture.finish(client, try await fixture.begin(client, "github")),
                    .forbidden,
                    saying: "no verified primary"
                )
                fixture.github.update { $0.emails = [] }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "github")), .forbidden, saying: "did not tell")
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("a provider down or answering garbage is a 502; the start of a provider whose discovery fails too")
    func providerDown() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                expectFailurePage(try await client.send(.get, "/api/auth/oauth/down"), .badGateway, saying: "could not be reached")
                let round = try await fixture.begin(client, "github-down")
                expectFailurePage(try await fixture.finish(client, round), .badGateway, saying: "could not be reached")
                fixture.openID.update { $0.tokenGarbageStatus = 500 }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "corp")), .badGateway, saying: "cannot use")
                fixture.openID.update { $0.tokenGarbageStatus = 200 }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "corp")), .badGateway, saying: "cannot use")
                fixture.github.update { $0.userGarbageStatus = 200 }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "github")), .badGateway, saying: "cannot use")
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("a discovery document naming another issuer is refused (502)")
    func issuerMismatch() async throws {
        try await ProviderSignInHarness.run { fixture in
            fixture.openID.update { $0.documentIssuer = "https://evil.example" }
            try await fixture.harness.application.test(.router) { client in
                expectFailurePage(try await client.send(.get, "/api/auth/oauth/corp"), .badGateway, saying: "cannot use")
            }
        }
    }

    @Test("a provider slower than the timeout is a 504, answered when the timeout ends, not when the provider does")
    func providerSlow() async throws {
        try await ProviderSignInHarness.run(timeout: .milliseconds(500)) { fixture in
            try await fixture.harness.application.test(.router) { client in
                // The provider answers after 12 s; the callback must not wait for it (its calls have 0.5 s each; a
                // loaded machine has been seen to take 5.4 s for the whole callback, so the bound is 10 s).
                fixture.openID.update { $0.tokenDelay = .seconds(12) }
                let round = try await fixture.begin(client, "corp")
                let started = ContinuousClock.now
                expectFailurePage(try await fixture.finish(client, round), .gatewayTimeout, saying: "too long")
                #expect(ContinuousClock.now - started < .seconds(10))
                fixture.github.update { $0.emailsDelay = .seconds(12) }
                expectFailurePage(try await fixture.finish(client, try await fixture.begin(client, "github")), .gatewayTimeout, saying: "too long")
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    /// One way an ID token can be wrong, and the words the page says about it.
    enum TokenFault: String, CaseIterable, Sendable {
        case unpublishedKey, otherAudience, extraAudience, otherParty, otherIssuer, expired, wrongNonce, missingNonce

        var words: String {
            switch self {
            case .unpublishedKey: "signature"
            case .otherAudience, .extraAudience: "issued for another application"
            case .otherParty: "issued to another application"
            case .otherIssuer: "another issuer"
            case .expired: "expired"
            case .wrongNonce, .missingNonce: "does not belong to this sign-in"
            }
        }

        func apply(to behavior: inout FakeOpenIDProvider.Behavior) {
            switch self {
            case .unpublishedKey: behavior.signWithUnpublishedKey = true
            case .otherAudience: behavior.audience = ["someone-else"]
            case .extraAudience: behavior.audience = [ProviderSignInHarness.clientID, "someone-else"]
            case .otherParty: behavior.authorizedParty = "someone-else"
            case .otherIssuer: behavior.tokenIssuer = "https://evil.example"
            case .expired: behavior.expiresIn = -120
            case .wrongNonce: behavior.nonce = "not-the-nonce"
            case .missingNonce: behavior.nonce = ""
            }
        }
    }

    @Test(
        "an ID token with a bad signature, another audience or party, another issuer, expired, or a wrong or missing nonce is refused",
        arguments: TokenFault.allCases
    )
    func badIDToken(fault: TokenFault) async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                fixture.openID.update { fault.apply(to: &$0) }
                let callback = try await fixture.finish(client, try await fixture.begin(client, "corp"))
                expectFailurePage(callback, .unauthorized, saying: fault.words)
                #expect(callback.text.contains("could not be verified"))
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    static func with(_ round: ProviderSignInHarness.Round, callback: String) -> ProviderSignInHarness.Round {
        var copy = round
        copy.callback = callback
        return copy
    }
}
