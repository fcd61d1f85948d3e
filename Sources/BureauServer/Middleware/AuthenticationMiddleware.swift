import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Establishes who an `/api/*` request acts for. A request that presents an API key (`x-api-key`, or
/// `Authorization: Bearer`) is judged by that key alone. The `apiKey` query parameter is read for the
/// activity stream's path only (an `EventSource` cannot set headers); everywhere else it is ignored.
///
/// Before a presented key is looked at, the failed-key blocker is asked about the client: a blocked
/// client's key, valid or not, is neither looked up nor hashed. Each key that does not authenticate is
/// reported to the blocker.
///
/// Authentication only records its finding in the context; ``RequireAuthenticationMiddleware`` refuses,
/// so that middleware between the two (rate limits) sees every request, authenticated or not.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let verifier: APIKeyVerifier
    let rateLimits: APIRateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        var context = context
        if let presented = Self.presentedKey(in: request.headers) ?? Self.presentedQueryKey(in: request.uri) {
            if case .blocked(let seconds) = rateLimits.apiKeyPermission(for: context.clientAddress) {
                context.apiKeyBlockedForSeconds = seconds
                return try await next(request, context)
            }
            switch await verifier.verify(presented) {
            case .valid(let userID, let keyID):
                context.identity = Identity(userID: userID, method: .apiKey(keyID))
            case .invalid:
                context.presentedInvalidKey = true
                rateLimits.recordFailedAPIKey(from: context.clientAddress)
            }
        }
        return try await next(request, context)
    }

    /// The `?apiKey=` of a request to the activity stream; `nil` on every other path.
    static func presentedQueryKey(in uri: URI) -> Substring? {
        guard uri.path == ActivityController.streamPath else { return nil }
        return uri.queryParameters["apiKey"].map { $0.trimmingSpaces() }
    }

    /// The API key a request presents in its headers, if any: `x-api-key` first, then a bearer token.
    /// An empty header counts as presenting a (bad) key.
    static func presentedKey(in headers: HTTPFields) -> Substring? {
        if let value = headers[.apiKey] {
            return Substring(value).trimmingSpaces()
        }
        if let authorization = headers[.authorization] {
            let trimmed = Substring(authorization).trimmingSpaces()
            // Another scheme (Basic, ...) is not an API key: it is ignored, not counted as a failed key.
            guard trimmed.count >= 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
            return trimmed.dropFirst(7).trimmingSpaces()
        }
        return nil
    }
}

/// Refuses `/api/*` requests that did not authenticate, with 401 and `WWW-Authenticate`, or with 429
/// `api_key_auth_blocked` and `Retry-After` when their key was refused because the client is blocked.
struct RequireAuthenticationMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/api/"), context.identity == nil {
            if let seconds = context.apiKeyBlockedForSeconds {
                throw APIError.apiKeyAuthBlocked(retryAfterSeconds: seconds)
            }
            throw APIError.unauthenticated(keyPresented: context.presentedInvalidKey)
        }
        return try await next(request, context)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var slice = self
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
