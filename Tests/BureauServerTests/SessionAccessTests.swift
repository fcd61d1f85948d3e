import BureauAuth
import BureauServer
import BureauStore
import BureauTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Session cookies: CSRF, precedence of keys, rate limits")
struct SessionAccessTests {
    @Test("a cookie-authenticated change must come from our origin; GET is not checked; API keys are exempt")
    func crossSiteRequests() async throws {
        let session = SessionHarness()
        let (_, key) = try await session.harness.account("bob@example.com")
        try await session.harness.application.test(.router) { client in
            let cookie = try await session.signIn(client)
            let body = #"{"name": "Box"}"#
            let refused: [[(String, String)]] = [
                [],
                [("Sec-Fetch-Site", "cross-site")],
                [("Sec-Fetch-Site", "same-site")],
                [("Sec-Fetch-Site", "none")],
                [("Origin", "https://evil.example")],
                [("Origin", "null")],
                // Sec-Fetch-Site is believed before Origin: a browser sets it, a script cannot.
                [("Sec-Fetch-Site", "cross-site"), ("Origin", SessionHarness.origin)],
            ]
            for fields in refused {
                let response = try await client.send(
                    .post,
                    "/api/desktops",
                    cookie: cookie,
                    json: body,
                    headers: Self.fields(fields),
                    sameOrigin: false
                )
                #expect(response.status == .forbidden, "\(fields)")
                #expect(response.code == "cross_site_request")
                #expect(response.headers[HTTPField.Name("RateLimit")!] != nil, "counted like any other answer")
            }
            let accepted: [[(String, String)]] = [
                [("Sec-Fetch-Site", "same-origin")],
                [("Origin", SessionHarness.origin)],
                [("Origin", SessionHarness.origin.uppercased())],
            ]
            for fields in accepted {
                let response = try await client.send(
                    .post,
                    "/api/desktops",
                    cookie: cookie,
                    json: body,
                    headers: Self.fields(fields),
                    sameOrigin: false
                )
                #expect(response.status == .created, "\(fields)")
            }
            #expect(session.store.read { $0.desktops.count } == accepted.count)
            let id = try #require(session.store.read { $0.desktops.keys.first })
            for method in [HTTPRequest.Method.patch, .delete] {
                let response = try await client.send(method, "/api/desktops/\(id)", cookie: cookie, json: body, sameOrigin: false)
                #expect(response.status == .forbidden && response.code == "cross_site_request")
            }
            #expect(try await client.send(.post, "/api/auth/logout", cookie: cookie, sameOrigin: false).status == .forbidden)
            #expect(try await client.send(.get, "/api/desktops", cookie: cookie, sameOrigin: false).status == .ok)
            #expect(try await client.send(.post, "/api/desktops", key: key, json: body).status == .created, "API keys are exempt")
            var crossSite = HTTPFields()
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            #expect(try await client.send(.post, "/api/desktops", key: key, json: body, headers: crossSite).status == .created)
        }
    }

    @Test("a request with an API key is judged by the key alone: a bad key beside a valid cookie is 401")
    func keyJudgesAlone() async throws {
        let session = SessionHarness()
        let (bob, key) = try await session.harness.account("bob@example.com")
        try await session.harness.application.test(.router) { client in
            let cookie = try await session.signIn(client)
            var headers = HTTPFields()
            headers[.cookie] = cookie
            let bad = try await client.send(.get, "/api/desktops", key: "lb_k_wrong", headers: headers)
            #expect(bad.status == .unauthorized && bad.code == "invalid_api_key")
            #expect(bad.headers[.setCookie] == nil, "the cookie was not judged, so it is not cleared")
            var bearer = headers
            bearer[.authorization] = "Bearer lb_k_wrong"
            #expect(try await client.send(.get, "/api/desktops", headers: bearer).status == .unauthorized)
            var queryHeaders = headers
            queryHeaders[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            let query = try await client.send(.get, "/api/mission-control/activity/stream?apiKey=lb_k_wrong", headers: queryHeaders)
            #expect(query.status == .unauthorized && query.code == "invalid_api_key")

            // A valid key beside a cookie of another user acts for the key's user.
            let me = try await client.send(.get, "/api/auth/me", key: key, headers: headers)
            #expect(me.object["id"] as? String == bob.description)
            #expect(me.object["authMethod"] as? String == "api_key")
            // ... and an invalid cookie beside a valid key is never looked at.
            var stale = HTTPFields()
            stale[.cookie] = session.cookieName + "=" + String(repeating: "x", count: 43)
            #expect(try await client.send(.get, "/api/desktops", key: key, headers: stale).status == .ok)
        }
    }

    @Test("session requests count against the general limit of their user")
    func generalLimitPerUser() async throws {
        let session = SessionHarness { $0.rateLimits.generalLimit = 3 }
        try await session.harness.application.test(.router) { client in
            // The login itself counts against the client address, not the user.
            let first = try await session.signIn(client)
            let second = try await session.signIn(client)
            for _ in 0..<2 { #expect(try await client.send(.get, "/api/desktops", cookie: first).status == .ok) }
            let third = try await client.send(.get, "/api/desktops", cookie: second)
            #expect(third.status == .ok)
            #expect(third.headers[HTTPField.Name("RateLimit")!]?.contains("r=0") == true)
            let limited = try await client.send(.get, "/api/desktops", cookie: first)
            #expect(limited.status == .tooManyRequests && limited.code == "rate_limited")
        }
    }
}

extension SessionAccessTests {
    static func fields(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields[HTTPField.Name(name)!] = value }
        return fields
    }
}
