import BureauAuth
import BureauSignIn
import BureauStore
import HTTPTypes
import Hummingbird
import Logging

/// `GET /api/auth/oauth/{provider}` and `GET /api/auth/oauth/{provider}/callback`: signing in with a
/// configured provider (``ProviderSignIn``). The start redirects the browser to the provider and sets the
/// sign-in cookie; the callback verifies who signed in, starts a session exactly as dev-login does
/// (replacing the browser's previous one), sets the session cookie, clears the sign-in cookie and sends
/// the browser to the dashboard (`/`). Every failure is an HTML page saying why (``SignInFailurePage``),
/// after which nothing has changed: no user, no session, the pending sign-in used up.
struct OAuthController {
    /// The routes as the router names them (public: no credentials needed, rate limited per client).
    static let startPath = "/api/auth/oauth/{provider}"
    static let callbackPath = "/api/auth/oauth/{provider}/callback"

    let signIn: ProviderSignIn?
    let issuer: SessionIssuer
    let sessionCookie: SessionCookie
    let signInCookie: SignInCookie

    init(services: BureauServices) {
        signIn = services.signIn
        issuer = services.issuer
        sessionCookie = services.cookie
        signInCookie = SignInCookie(secure: services.settings.cookieSecure)
    }

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.get("{provider}", use: start)
        routes.get("{provider}/callback", use: callback)
        return routes
    }

    @Sendable func start(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let name = context.parameters.get("provider") ?? ""
        guard let signIn, signIn.isConfigured(name) else { return failure(.unknownProvider(name), context: context) }
        do {
            let started = try await signIn.begin(name)
            var headers = HTTPFields()
            headers[.location] = started.authorizationURL
            headers[.setCookie] = signInCookie.setting(started.browserBinding)
            headers[.cacheControl] = "no-store"
            headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
            return Response(status: .found, headers: headers)
        } catch {
            return failure(error, context: context)
        }
    }

    @Sendable func callback(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let name = context.parameters.get("provider") ?? ""
        guard let signIn, signIn.isConfigured(name) else { return failure(.unknownProvider(name), context: context) }
        let query = request.uri.queryParameters
        let returned = SignInCallback(
            code: query["code"].map(String.init),
            state: query["state"].map(String.init),
            error: query["error"].map(String.init)
        )
        let identity: VerifiedIdentity
        do {
            identity = try await signIn.complete(name, callback: returned, browserBinding: signInCookie.value(in: request.headers))
        } catch {
            return failure(error, context: context)
        }
        // The provider's name is only a suggestion: one the domain would refuse gives way to the default.
        let displayName = identity.name.flatMap { try? InputRules.displayName($0).get() }
        let started: StartedSession
        do {
            // A sign-in replaces the browser's current session, if it had one.
            if case .session(let previous) = context.identity?.credential { try await issuer.end(previous) }
            started = try await issuer.signIn(NewUser(email: identity.email, name: displayName))
        } catch StoreError.invalidInput(_) {
            return failure(.accountRefused, context: context)
        } catch let error as StoreError {
            context.logger.warning("sign-in not stored", metadata: ["provider": "\(name)", "error": "\(APIError(error).code)"])
            return page(
                SignInFailurePage(
                    status: APIError(error).status,
                    message: "This server could not complete the sign-in right now. Please try again later."
                )
            )
        }
        context.logger.info("signed in with a provider", metadata: ["provider": "\(name)", "user": "\(started.user.id)"])
        var headers = HTTPFields()
        headers[.location] = "/"
        headers.append(HTTPField(name: .setCookie, value: sessionCookie.setting(started.secret)))
        headers.append(HTTPField(name: .setCookie, value: signInCookie.clearing))
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .seeOther, headers: headers)
    }

    private func failure(_ failure: SignInFailure, context: BureauRequestContext) -> Response {
        context.logger.notice("sign-in failed", metadata: ["reason": "\(failure.kind.rawValue)", "status": "\(failure.status)"])
        return page(SignInFailurePage(status: HTTPResponse.Status(code: failure.status), message: failure.message, detail: failure.detail))
    }

    private func page(_ page: SignInFailurePage) -> Response {
        var headers = HTTPFields()
        headers[.setCookie] = signInCookie.clearing
        return page.response(headers: headers)
    }
}
