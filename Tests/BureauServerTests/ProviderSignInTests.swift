import BureauAuth
import BureauFakeProviders
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BureauServer

@Suite("Sign-in with providers: round trips against fakes on loopback")
struct ProviderSignInTests {
    static func plainHTTP(_ settings: inout ServerSettings) { settings.cookieSecure = false }
    static func twoRequestsAMinute(_ settings: inout ServerSettings) { settings.rateLimits.generalLimit = 2 }

    @Test("OpenID: a new user is created from the verified e-mail; the session cookie works on /me; the session is in the store and the log")
    func openIDNewUser() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                let round = try await fixture.begin(client, "corp")
                #expect(round.start.status == .found)
                let callback = try await fixture.finish(client, round)
                #expect(callback.status == .seeOther)
                #expect(callback.headers[.location] == "/")
                #expect(callback.headers[.cacheControl] == "no-store")
                let cookies = callback.headers[values: .setCookie]
                #expect(cookies.contains { $0.hasPrefix("__Host-bureau_signin=;") && $0.contains("Max-Age=0") }, "the sign-in cookie is cleared")
                let session = try #require(fixture.sessionCookie(callback))
                let setting = try #require(cookies.first { $0.hasPrefix("__Host-bureau_session=") })
                #expect(
                    Set(setting.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
                        == ["Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=604800"]
                )
                let me = try await client.send(.get, "/api/auth/me", cookie: session)
                #expect(me.status == .ok)
                #expect(me.object["email"] as? String == "ada@example.com")
                #expect(me.object["name"] as? String == "Ada Lovelace")
                #expect(me.object["authMethod"] as? String == "session")
            }
            #expect(fixture.counts == (1, 1))
            let logged = fixture.journal.mutations
            #expect(logged.contains { if case .userCreated(let user) = $0 { user.email == "ada@example.com" } else { false } })
            let session = try #require(fixture.store.read { $0.sessions.values.first })
            #expect(logged.contains { if case .sessionCreated(let record) = $0 { record.id == session.id } else { false } })
        }
    }

    @Test("GitHub: the existing user is found by the primary verified e-mail, case-insensitively; nothing new is created")
    func gitHubExistingUser() async throws {
        try await ProviderSignInHarness.run { fixture in
            let existing = try await fixture.harness.user("Octo@Example.com")
            try await fixture.harness.application.test(.router) { client in
                let round = try await fixture.begin(client, "github")
                let callback = try await fixture.finish(client, round)
                #expect(callback.status == .seeOther)
                let session = try #require(fixture.sessionCookie(callback))
                let me = try await client.send(.get, "/api/auth/me", cookie: session)
                #expect(me.object["id"] as? String == existing.description)
            }
            #expect(fixture.counts == (1, 1))
        }
    }

    @Test("GitHub: a new user takes its name from /user; Google signs in like any OpenID provider")
    func gitHubNameAndGoogle() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                let github = try await fixture.finish(client, try await fixture.begin(client, "github"))
                #expect(github.status == .seeOther, "\(github.text)")
                let me = try await client.send(.get, "/api/auth/me", cookie: try #require(fixture.sessionCookie(github)))
                #expect(me.object["email"] as? String == "octo@example.com" && me.object["name"] as? String == "The Octocat")
                let google = try await fixture.finish(client, try await fixture.begin(client, "google"))
                #expect(google.status == .seeOther)
            }
            #expect(fixture.counts == (2, 2))
        }
    }

    @Test("the start: 302 to the provider with state, PKCE S256, nonce (OpenID only), scopes, redirect URI; a short-lived __Host- cookie")
    func startRequest() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                for (provider, scope) in [("corp", "openid email"), ("github", "user:email")] {
                    let start = try await client.send(.get, "/api/auth/oauth/\(provider)")
                    #expect(start.status == .found)
                    let location = try #require(start.headers[.location])
                    let items = URLComponents(string: location)?.queryItems ?? []
                    func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
                    #expect(value("scope") == scope)
                    #expect(value("redirect_uri") == "https://bureau.example/api/auth/oauth/\(provider)/callback")
                    #expect(value("code_challenge_method") == "S256" && value("code_challenge")?.count == 43 && value("state")?.count == 43)
                    #expect((value("nonce") != nil) == (provider == "corp"))
                    #expect(!location.contains("secret"))
                    let cookie = try #require(start.headers[.setCookie])
                    let parts = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    #expect(parts[0].hasPrefix("__Host-bureau_signin=") && parts[0].count == "__Host-bureau_signin=".count + 43)
                    #expect(Set(parts.dropFirst()) == ["Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=600"])
                    #expect(!location.contains(parts[0].dropFirst("__Host-bureau_signin=".count)), "the binding is not the state")
                    #expect(start.headers[.cacheControl] == "no-store")
                }
            }
            #expect(fixture.counts == (0, 0))
        }
    }

    @Test("with auth.cookie_secure false both cookies drop Secure and the __Host- prefix")
    func insecureCookies() async throws {
        try await ProviderSignInHarness.run(configure: Self.plainHTTP) { fixture in
            try await fixture.harness.application.test(.router) { client in
                let round = try await fixture.begin(client, "corp")
                #expect(round.cookie.hasPrefix("bureau_signin="))
                #expect(round.start.headers[.setCookie]?.contains("Secure") == false)
                let callback = try await fixture.finish(client, round)
                let session = try #require(fixture.sessionCookie(callback))
                #expect(session.hasPrefix("bureau_session="))
                #expect(try await client.send(.get, "/api/auth/me", cookie: session).status == .ok)
            }
        }
    }

    @Test("a browser's previous session is replaced by the new sign-in")
    func replacesSession() async throws {
        try await ProviderSignInHarness.run { fixture in
            try await fixture.harness.application.test(.router) { client in
                let login = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#)
                let old = String(try #require(login.headers[.setCookie]).prefix { $0 != ";" })
                let round = try await fixture.begin(client, "corp")
                let callback = try await fixture.finish(client, round, cookies: [round.cookie, old])
                #expect(callback.status == .seeOther)
                #expect(try await client.send(.get, "/api/auth/me", cookie: old).status == .unauthorized)
                #expect(try await client.send(.get, "/api/auth/me", cookie: try #require(fixture.sessionCookie(callback))).status == .ok)
            }
            #expect(fixture.counts == (1, 1))
        }
    }

    @Test("the sign-in routes need no credentials but count against the per-client general limit")
    func rateLimited() async throws {
        try await ProviderSignInHarness.run(configure: Self.twoRequestsAMinute) { fixture in
            try await fixture.harness.application.test(.router) { client in
                #expect(try await client.send(.get, "/api/auth/oauth/corp").status == .found)
                let callback = try await client.send(.get, "/api/auth/oauth/corp/callback?state=x&code=y")
                #expect(callback.status == .badRequest)
                #expect(callback.headers[HTTPField.Name("RateLimit")!] != nil)
                let limited = try await client.send(.get, "/api/auth/oauth/corp")
                #expect(limited.status == .tooManyRequests)
                #expect(limited.code == "rate_limited")
            }
        }
    }

    @Test("the request log line of a callback hides its code and state")
    func callbackLogLine() async throws {
        let logged = LoggedTarget.redacted("/api/auth/oauth/corp/callback?code=abc123&state=Zz-_x&error=access_denied")
        #expect(logged == "/api/auth/oauth/corp/callback?code=REDACTED&state=REDACTED&error=access_denied")
    }

    @Test("the failure page escapes what it shows")
    func pageEscapes() {
        #expect(SignInFailurePage.escaped(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        let page = SignInFailurePage(status: .badRequest, message: "<b>bold</b>", detail: "\"quoted\" & more").html
        #expect(page.contains("<p>&lt;b&gt;bold&lt;/b&gt;</p>") && page.contains("<p>&quot;quoted&quot; &amp; more</p>"))
        #expect(!page.contains("<b>") && !page.contains("<script") && !page.contains("style="))
    }
}
