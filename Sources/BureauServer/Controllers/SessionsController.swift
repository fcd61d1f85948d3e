import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird

/// `/api/auth/dev-login` (only with `auth.dev_login`) and `/api/auth/logout`: browser sessions start and
/// end here. A session's secret leaves the server once, in the `Set-Cookie` of the answer that starts it.
struct SessionsController {
    /// The development login's path: it answers without credentials (``APIAccessMiddleware/publicPaths``);
    /// when `auth.dev_login` is off it is not routed at all, so it answers 404 like any absent endpoint.
    static let devLoginPath = "/api/auth/dev-login"
    /// The sign-in options: public, so the sign-in page can show them before anyone is signed in.
    static let providersPath = "/api/auth/providers"

    let issuer: SessionIssuer
    let cookie: SessionCookie
    let settings: ServerSettings
    let origin: CrossSiteRequestCheck

    init(services: BureauServices) {
        issuer = services.issuer
        cookie = services.cookie
        settings = services.settings
        origin = CrossSiteRequestCheck(publicOrigin: services.settings.origin)
    }

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        if settings.devLogin { routes.post("dev-login", use: devLogin) }
        routes.get("providers", use: providers)
        routes.post("logout", use: logout)
        return routes
    }

    /// `{"email", "name"?}`: finds or creates the user, starts a session, sets the cookie, and answers
    /// with the user as `/api/auth/me` shows it. A request from another site's page is refused (403), so
    /// no site can sign a visitor in to an account of its choosing.
    @Sendable func devLogin(_ request: Request, context: BureauRequestContext) async throws -> Response {
        guard !origin.isCrossSite(request.headers) else { throw APIError.crossSiteLogin }
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let person = NewUser(email: body.string("email"), name: body.string("name"))
        try body.throwIfInvalid(adding: person.problems)

        // A login replaces the browser's current session, if it had one.
        if case .session(let previous) = context.identity?.credential { try await issuer.end(previous) }
        let started = try await issuer.signIn(person)
        var headers = HTTPFields()
        headers[.setCookie] = cookie.setting(started.secret)
        headers[.cacheControl] = "no-store"
        return JSONResponse.make(
            AuthController.MeRepresentation(user: started.user, credential: .session(started.session.id)),
            headers: headers
        )
    }

    /// How a person can sign in here: `{"data": [{"name", "displayName", "signInUrl"}], "devLogin": bool}`,
    /// the configured providers in order and whether the development login is on. Nothing secret: no
    /// client id, no endpoint of the provider.
    @Sendable func providers(_ request: Request, context: BureauRequestContext) async throws -> Response {
        JSONResponse.make(SignInOptionsRepresentation(providers: settings.signInProviders, devLogin: settings.devLogin))
    }

    struct SignInOptionsRepresentation: JSONRepresentable {
        let providers: [SignInProviderListing]
        let devLogin: Bool

        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.key("data")
                json.array { array in
                    for provider in providers {
                        array.object { item in
                            item.field("name", provider.name)
                            item.field("displayName", provider.displayName)
                            item.field("signInUrl", "/api/auth/oauth/\(provider.name)")
                        }
                    }
                }
                json.field("devLogin", devLogin)
            }
        }
    }

    /// Ends the request's session on the server, closes the activity streams it opened, and clears the
    /// cookie: 204. A request authenticated by an API key has no session to end: 400 `session_required`
    /// (a key is ended by revoking it).
    @Sendable func logout(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard case .session(let sessionID) = identity.credential else {
            throw APIError(
                .badRequest,
                code: "session_required",
                detail: "Logout ends a browser session; this request used an API key. Revoke a key with DELETE /api/auth/api-keys/{id}."
            )
        }
        try await issuer.end(sessionID)
        var response = JSONResponse.noContent()
        response.headers[.setCookie] = cookie.clearing
        return response
    }
}
