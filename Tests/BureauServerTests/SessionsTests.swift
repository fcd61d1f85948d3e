import BureauAuth
import BureauServer
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Browser sessions")
struct SessionsTests {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    @Test("dev-login sets a __Host- cookie: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain; answers the user as /me does")
    func secureCookie() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let response = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": " Ada@Example.com ", "name": "Ada"}"#)
            #expect(response.status == .ok)
            let setCookie = try #require(response.headers[.setCookie])
            let parts = setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let pair = try #require(parts.first)
            #expect(pair.hasPrefix("__Host-bureau_session="))
            #expect(pair.dropFirst("__Host-bureau_session=".count).count == 43)
            #expect(Set(parts.dropFirst()) == ["Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=604800"])
            #expect(!setCookie.lowercased().contains("domain"))
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.object["email"] as? String == "ada@example.com")
            #expect(response.object["name"] as? String == "Ada")
            #expect(response.object["authMethod"] as? String == "session")
            #expect(!response.text.contains(pair.dropFirst("__Host-bureau_session=".count)), "the secret is only in the cookie")

            let me = try await client.send(.get, "/api/auth/me", cookie: String(pair))
            #expect(me.status == .ok)
            #expect(me.object["authMethod"] as? String == "session")
            #expect(me.object["id"] as? String == response.object["id"] as? String)
            #expect(me.object["apiKeyId"] == nil)
            #expect(response.object["scope"] as? String == "full" && me.object["scope"] as? String == "full", "a session may do everything")
        }
    }

    @Test("with auth.cookie_secure false the cookie is bureau_session without Secure")
    func insecureCookie() async throws {
        let session = SessionHarness { $0.cookieSecure = false }
        try await session.harness.application.test(.router) { client in
            let response = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#)
            let setCookie = try #require(response.headers[.setCookie])
            let parts = setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(parts.first?.hasPrefix("bureau_session=") == true)
            #expect(Set(parts.dropFirst()) == ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=604800"])
            let cookie = try #require(parts.first)
            #expect(try await client.send(.get, "/api/desktops", cookie: cookie).status == .ok)
            #expect(try await client.send(.get, "/api/desktops", cookie: "__Host-" + cookie).status == .unauthorized)
        }
    }

    @Test("dev-login finds the user case-insensitively, or creates it; a new secret every time")
    func findOrCreate() async throws {
        let session = SessionHarness()
        let existing = try await session.harness.user("ada@example.com")
        try await session.harness.application.test(.router) { client in
            let first = try await session.signIn(client, email: "ADA@example.COM")
            let second = try await session.signIn(client, email: "ada@example.com")
            #expect(first != second)
            for cookie in [first, second] {
                #expect(try await client.send(.get, "/api/auth/me", cookie: cookie).object["id"] as? String == existing.description)
            }
            let response = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "new.person@example.org"}"#)
            #expect(response.object["name"] as? String == "new.person")
        }
        #expect(session.store.read { ($0.users.count, $0.sessions.count) } == (2, 3))
    }

    @Test("a browser whose session expired signs in again with its stale cookie")
    func signInAfterExpiry() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let stale = try await session.signIn(client)
            session.clock.advance(by: .seconds(86_400))
            var headers = HTTPFields()
            headers[.cookie] = stale
            headers[Self.secFetchSite] = "same-origin"
            let again = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#, headers: headers)
            #expect(again.status == .ok)
            let fresh = try #require(again.headers[.setCookie]).prefix { $0 != ";" }
            #expect(try await client.send(.get, "/api/auth/me", cookie: String(fresh)).status == .ok)
            #expect(try await client.send(.get, "/api/auth/me", cookie: stale).status == .unauthorized)
        }
    }

    @Test("a login with the session cookie of a browser already signed in replaces that session")
    func loginReplacesSession() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let old = try await session.signIn(client)
            var headers = HTTPFields()
            headers[.cookie] = old
            headers[Self.secFetchSite] = "same-origin"
            let again = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#, headers: headers)
            #expect(again.status == .ok)
            #expect(try await client.send(.get, "/api/auth/me", cookie: old).status == .unauthorized)
        }
        #expect(session.store.read { $0.sessions.count } == 1)
    }

    @Test("dev-login: bad input is a 400 listing the fields; off in the config, the route is absent (404)")
    func devLoginInputAndSwitch() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            for body in [#"{}"#, #"{"email": "not-an-address"}"#, #"{"email": 42}"#, #"{"email": "a@b.c", "name": ""}"#] {
                let response = try await client.send(.post, "/api/auth/dev-login", json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.code == "invalid_request")
                #expect(response.headers[.setCookie] == nil)
            }
            let malformed = try await client.send(.post, "/api/auth/dev-login", json: "{")
            #expect(malformed.status == .badRequest && malformed.code == "malformed_json")
            let badKey = try await client.send(.post, "/api/auth/dev-login", key: "lb_k_wrong", json: #"{"email": "ada@example.com"}"#)
            #expect(badKey.status == .unauthorized && badKey.code == "invalid_api_key", "a bad key is judged even here")
        }
        #expect(session.store.read { $0.users.isEmpty && $0.sessions.isEmpty })

        let disabled = SessionHarness { $0.devLogin = false }
        let (_, key) = try await disabled.harness.account("ada@example.com")
        try await disabled.harness.application.test(.router) { client in
            let anonymous = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#)
            #expect(anonymous.status == .notFound && anonymous.code == "not_found")
            #expect(anonymous.headers[.setCookie] == nil)
            #expect(try await client.send(.post, "/api/auth/dev-login", key: key, json: #"{"email": "a@b.co"}"#).status == .notFound)
        }
        #expect(disabled.store.read { $0.sessions.isEmpty })
    }

    @Test("the sign-in options are public and name each provider, its sign-in URL and the dev-login switch, nothing secret")
    func signInOptions() async throws {
        let session = SessionHarness {
            $0.signInProviders = [
                SignInProviderListing(name: "github", displayName: "GitHub"),
                SignInProviderListing(name: "keycloak", displayName: "Company \"SSO\""),
            ]
        }
        try await session.harness.application.test(.router) { client in
            let response = try await client.send(.get, "/api/auth/providers")
            #expect(response.status == .ok)
            #expect(
                String(buffer: response.body)
                    == #"{"data":[{"name":"github","displayName":"GitHub","signInUrl":"/api/auth/oauth/github"},"#
                    + #"{"name":"keycloak","displayName":"Company \"SSO\"","signInUrl":"/api/auth/oauth/keycloak"}],"devLogin":true}"#
            )
        }
        let plain = SessionHarness { $0.devLogin = false }
        try await plain.harness.application.test(.router) { client in
            let response = try await client.send(.get, "/api/auth/providers")
            #expect(String(buffer: response.body) == #"{"data":[],"devLogin":false}"#)
        }
    }

    @Test("dev-login from another site's page is refused; from ours, or from curl (no headers), it works")
    func crossSiteLogin() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let refused: [(String, String)] = [
                ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Site", "same-site"), ("Origin", "https://evil.example"), ("Origin", "null"),
            ]
            for (name, value) in refused {
                var headers = HTTPFields()
                headers[HTTPField.Name(name)!] = value
                let response = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#, headers: headers)
                #expect(response.status == .forbidden, "\(name): \(value)")
                #expect(response.code == "cross_site_login")
                #expect(response.headers[.setCookie] == nil)
            }
            let accepted: [(String, String)] = [("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "none"), ("Origin", SessionHarness.origin)]
            for (name, value) in accepted {
                var headers = HTTPFields()
                headers[HTTPField.Name(name)!] = value
                let response = try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#, headers: headers)
                #expect(response.status == .ok, "\(name): \(value)")
            }
            #expect(try await client.send(.post, "/api/auth/dev-login", json: #"{"email": "ada@example.com"}"#).status == .ok)
        }
        #expect(session.store.read { $0.sessions.count } == 4)
    }

    @Test("logout ends the session on the server and clears the cookie; the old cookie then gets 401")
    func logout() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let cookie = try await session.signIn(client)
            let other = try await session.signIn(client)
            let response = try await client.send(.post, "/api/auth/logout", cookie: cookie)
            #expect(response.status == .noContent)
            #expect(response.headers[.setCookie] == "__Host-bureau_session=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0")
            let replay = try await client.send(.get, "/api/desktops", cookie: cookie)
            #expect(replay.status == .unauthorized && replay.code == "unauthenticated")
            #expect(replay.headers[.wwwAuthenticate] == #"Bearer realm="bureau""#)
            #expect(replay.headers[.setCookie]?.hasSuffix("Max-Age=0") == true, "a refused cookie is cleared")
            #expect(try await client.send(.post, "/api/auth/logout", cookie: cookie).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", cookie: other).status == .ok, "another session lives on")
        }
        #expect(session.store.read { $0.sessions.count } == 1)
    }

    @Test("logout with an API key is a 400 session_required and ends nothing")
    func logoutWithKey() async throws {
        let session = SessionHarness()
        let (_, key) = try await session.harness.account("ada@example.com")
        try await session.harness.application.test(.router) { client in
            let cookie = try await session.signIn(client)
            var headers = HTTPFields()
            headers[.cookie] = cookie
            let response = try await client.send(.post, "/api/auth/logout", key: key, headers: headers)
            #expect(response.status == .badRequest && response.code == "session_required")
            #expect(response.headers[.setCookie] == nil)
            #expect(try await client.send(.get, "/api/desktops", cookie: cookie).status == .ok)
            #expect(try await client.send(.get, "/api/desktops", key: key).status == .ok)
            #expect(try await client.send(.post, "/api/auth/logout").status == .unauthorized)
        }
    }

    @Test("idle timeout: each use moves it; 24 hours unused ends the session")
    func idleTimeout() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let cookie = try await session.signIn(client)
            for _ in 0..<3 {
                session.clock.advance(by: .seconds(86_400 - 1))
                #expect(try await client.send(.get, "/api/desktops", cookie: cookie).status == .ok)
            }
            session.clock.advance(by: .seconds(86_400))
            let expired = try await client.send(.get, "/api/desktops", cookie: cookie)
            #expect(expired.status == .unauthorized)
            #expect(expired.headers[.setCookie]?.hasPrefix("__Host-bureau_session=;") == true)
        }
    }

    @Test("absolute timeout: a session in constant use still ends 7 days after sign-in")
    func absoluteTimeout() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let cookie = try await session.signIn(client)
            for _ in 0..<(7 * 24 - 1) {
                session.clock.advance(by: .seconds(3600))
                #expect(try await client.send(.get, "/api/auth/me", cookie: cookie).status == .ok)
            }
            session.clock.advance(by: .seconds(3599))
            #expect(try await client.send(.get, "/api/auth/me", cookie: cookie).status == .ok)
            session.clock.advance(by: .seconds(1))
            #expect(try await client.send(.get, "/api/auth/me", cookie: cookie).status == .unauthorized)
        }
    }

    @Test("timeouts follow the config; the sweep writes uses and prunes expired sessions as a mutation")
    func configuredTimeoutsAndSweep() async throws {
        let session = SessionHarness {
            $0.sessionIdleSeconds = 600
            $0.sessionAbsoluteSeconds = 3600
        }
        try await session.harness.application.test(.router) { client in
            let idle = try await session.signIn(client)
            let busy = try await session.signIn(client)
            session.clock.advance(by: .seconds(599))
            #expect(try await client.send(.get, "/api/desktops", cookie: busy).status == .ok)
            #expect(try await session.services.sessions.flushAndPrune().isEmpty)
            session.clock.advance(by: .seconds(1))
            let sequence = session.store.read { $0.sequence }
            let pruned = try await session.services.sessions.flushAndPrune()
            #expect(pruned.count == 1)
            #expect(session.store.read { $0.sequence } == sequence + 1, "one mutation")
            #expect(try await client.send(.get, "/api/desktops", cookie: idle).status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops", cookie: busy).status == .ok)
            session.clock.advance(by: .seconds(3000))
            #expect(try await client.send(.get, "/api/desktops", cookie: busy).status == .unauthorized)
            #expect(try await session.services.sessions.flushAndPrune().count == 1)
        }
        #expect(session.store.read { $0.sessions.isEmpty && $0.sessionIDsByDigest.isEmpty })
    }

    @Test("unknown and malformed cookies get 401 like no credentials")
    func unknownCookies() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.router) { client in
            let cookie = try await session.signIn(client)
            let name = session.cookieName
            let forged = name + "=" + String(repeating: "A", count: 43)
            for bad in [forged, name + "=short", name + "=", "other=1"] {
                let response = try await client.send(.get, "/api/desktops", cookie: bad)
                #expect(response.status == .unauthorized && response.code == "unauthenticated", "\(bad)")
            }
            #expect(try await client.send(.get, "/api/desktops", cookie: "theme=dark; " + cookie + "; lang=fr").status == .ok)
        }
    }
}
