import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird

/// Puts every request the access gate governs (every route under `/api`, and any unmatched path that,
/// however spelled, reads as one: ``APIPath/isGoverned(route:path:)``) through the ``AccessGate``, and
/// turns its verdict into HTTP. It reads the request into an ``AccessRequest`` (client address, presented
/// key, session cookie, matched route, method, origin headers) and answers:
///
/// - admitted: the route runs, acting for the verdict's principal;
/// - 401 `unauthenticated` (clearing a refused session cookie), 429 `api_key_auth_blocked`, 503
///   `key_checks_busy`, 429 `rate_limited` (each with `Retry-After`), 403 `cross_site_request`, 403
///   `insufficient_scope` (a read-only key on a state-changing route).
///
/// Every governed response, errors included, carries `RateLimit-Policy: "general";q=120;w=60` and
/// `RateLimit: "general";r=<remaining>;t=<seconds until a slot frees>`. Exempt clients, and all clients
/// when the limit is off, get no fields. Other requests pass straight through.
///
/// A cached key is decided without suspending (``AccessGate/decide(_:)``); only a key that needs bcrypt
/// awaits ``AccessGate/completeKeyCheck(_:)``.
struct APIAccessMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let gate: AccessGate
    /// The router's routes: a request the router matched to no route (a method the path does not take) is
    /// judged by the route its path names, so that a public route's path answers 405, not 401, without
    /// credentials, however its parameters are filled in.
    let routes: RouteTable
    let cookie: SessionCookie

    /// `RateLimit-Policy`, fixed for the process: built (and its value checked) once.
    let policyField: HTTPField

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = context.endpointPath
        // The path's text is built only when no route matched (the router's match is what counts otherwise).
        let governed = if let route { APIPath.isAPIRoute(route) } else { APIPath.isUnderAPI(request.uri.path) }
        guard governed else { return try await next(request, context) }
        var context = context
        context.clientAddress = ClientAddress.of(request, context: context, resolver: gate.limits.resolver)
        context.trace.note(client: context.clientAddress)
        var access = AccessRequest(client: context.clientAddress, route: route, method: request.method.rawValue)
        if route == nil { access.path = routes.pattern(matching: request.uri.path) ?? request.uri.path }
        access.apiKey = APIKeyAuthentication.presentedKey(in: request.headers)
        if access.apiKey == nil, gate.acceptsKeyInQuery(route: route) {
            access.apiKey = APIKeyAuthentication.presentedQueryKey(in: request.uri)
        }
        if access.apiKey == nil, gate.acceptsKeyInQuery(route: route), let ticket = request.uri.queryParameters["ticket"] {
            access.ticket = ticket
        }
        if access.apiKey == nil, access.ticket == nil, let value = cookie.value(in: request.headers) {
            access.sessionCookie = value
            access.fetchSite = request.headers[.secFetchSite].map { Substring($0) }
            access.origin = request.headers[.origin].map { Substring($0) }
        }

        let verdict: AccessVerdict
        switch gate.decide(access) {
        case .decided(let decided): verdict = decided
        case .needsKeyCheck(let pending): verdict = await gate.completeKeyCheck(pending)
        }

        let value = gate.limits.fields.rateLimit(for: verdict.rateLimit)
        switch verdict.outcome {
        case .refused(let refusal):
            var headers = fields(value)
            if case .unauthenticated(_, clearCookie: true) = refusal { headers.append(HTTPField(name: .setCookie, value: cookie.clearing)) }
            if case .unauthenticated(keyPresented: true, _) = refusal { context.presentedInvalidKey = true }
            throw ErrorWithHeaders(error: APIError(refusal), headers: headers)
        case .admitted(let principal):
            context.identity = principal
            if let principal { context.trace.note(principal: principal) }
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
            fields[.rateLimitPolicy] = gate.limits.fields.policy
            fields[.rateLimit] = value
        }
        return fields
    }
}

extension APIError {
    /// The answer to a refusal of the access gate.
    init(_ refusal: AccessRefusal) {
        switch refusal {
        case .unauthenticated(let keyPresented, _): self = .unauthenticated(keyPresented: keyPresented)
        case .keyAuthBlocked(let seconds): self = .apiKeyAuthBlocked(retryAfterSeconds: seconds)
        case .keyChecksBusy(let seconds): self = .keyChecksBusy(retryAfterSeconds: seconds)
        case .rateLimited(let seconds): self = .rateLimited(retryAfterSeconds: seconds)
        case .crossSite: self = .crossSiteRequest
        case .insufficientScope: self = .insufficientScope
        }
    }
}

extension APIError {
    /// 503 `key_checks_busy`: too many API-key checks (bcrypt) are under way on the server; this one was
    /// refused rather than queued. Retry after `retryAfterSeconds`.
    static func keyChecksBusy(retryAfterSeconds: Int) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return APIError(
            .serviceUnavailable,
            code: "key_checks_busy",
            detail: "Too many API keys are being checked right now. Retry after \(retryAfterSeconds) seconds.",
            headers: headers
        )
    }
}
