import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird

/// Everything that stands between an `/api/*` request and its controller, in one step (one middleware
/// layer instead of four: each layer is an async hop on every request):
///
/// 1. the client address (``ClientAddress``);
/// 2. authentication: by the API key if one is presented (``APIKeyAuthentication``), else by the session
///    cookie (``SessionAuthentication``): records who the request acts for, a refused key or session, or
///    a client blocked from API-key authentication;
/// 3. the general rate limit, per authenticated user, or per client address without valid credentials,
///    so refused requests count too; over the limit: 429 `rate_limited` with `Retry-After` equal to `t`;
/// 4. the authentication requirement: 401 (clearing a refused session cookie), or 429
///    `api_key_auth_blocked` for a blocked client's key; the sign-in path (``publicPaths``) is exempt
///    unless it was sent a bad key;
/// 5. for a cookie-authenticated POST/PATCH/PUT/DELETE, the origin check (``CrossSiteRequestCheck``):
///    403 `cross_site_request` unless it comes from the server's own pages.
///
/// Every `/api/*` response, errors included, carries `RateLimit-Policy: "general";q=120;w=60` and
/// `RateLimit: "general";r=<remaining>;t=<seconds until a slot frees>`. Exempt clients, and all clients
/// when the limit is off, get no fields. Other paths pass straight through.
struct APIAccessMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let verifier: APIKeyVerifier
    let limits: APIRateLimits
    let sessions: SessionVerifier
    let cookie: SessionCookie
    let origin: CrossSiteRequestCheck

    /// `RateLimit-Policy`, fixed for the process: built (and its value checked) once.
    let policyField: HTTPField

    /// `/api/*` paths that answer without credentials (still rate limited, per client address).
    static let publicPaths: Set<String> = [SessionsController.devLoginPath]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        var context = context
        context.clientAddress = ClientAddress.of(request, context: context, resolver: limits.resolver)
        if await !APIKeyAuthentication.authenticate(request, context: &context, verifier: verifier, rateLimits: limits) {
            SessionAuthentication.authenticate(request, context: &context, sessions: sessions, cookie: cookie)
        }

        let subject = context.identity.map { RateLimitSubject.user($0.userID) } ?? .client(ClientKey(context.clientAddress))
        let decision = limits.admit(subject, from: context.clientAddress)
        let value = limits.fields.rateLimit(for: decision)
        if case .denied(let seconds) = decision {
            throw ErrorWithHeaders(error: APIError.rateLimited(retryAfterSeconds: seconds), headers: fields(value))
        }
        if let identity = context.identity {
            if case .session = identity.credential, CrossSiteRequestCheck.changesState(request.method), !origin.isSameOrigin(request.headers) {
                throw ErrorWithHeaders(error: APIError.crossSiteRequest, headers: fields(value))
            }
        } else if !Self.publicPaths.contains(request.uri.path) || context.presentedInvalidKey || context.apiKeyBlockedForSeconds != nil {
            // A public path still refuses a bad key (it is judged like anywhere else); a stale cookie is
            // no obstacle there: signing in again is what it is for.
            var headers = fields(value)
            if context.presentedInvalidSession { headers.append(HTTPField(name: .setCookie, value: cookie.clearing)) }
            throw ErrorWithHeaders(error: APIKeyAuthentication.refusal(for: context), headers: headers)
        }
        do {
            var response = try await next(request, context)
            if let value {
                // Appended directly: building a separate HTTPFields and merging it costs an allocation per request.
                response.headers.append(policyField)
                response.headers.append(HTTPField(name: .rateLimit, value: value))
            }
            return response
        } catch {
            throw value == nil ? error : ErrorWithHeaders(error: error, headers: fields(value))
        }
    }

    /// The two fields as a set, for error responses (empty when no limit applies).
    private func fields(_ value: String?) -> HTTPFields {
        var fields = HTTPFields()
        if let value {
            fields[.rateLimitPolicy] = limits.fields.policy
            fields[.rateLimit] = value
        }
        return fields
    }
}
