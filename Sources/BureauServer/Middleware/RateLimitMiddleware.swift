import BureauAuth
import HTTPTypes
import Hummingbird

/// Applies the general rate limit to `/api/*` requests and puts the IETF fields on every one of their
/// responses, errors included: `RateLimit-Policy: "general";q=120;w=60` and
/// `RateLimit: "general";r=<remaining>;t=<seconds until a slot frees>`.
///
/// It sits after authentication, so a request counts against its user when its credentials are valid and
/// against its client address otherwise, and before the authentication requirement, so refused requests
/// (401, and 429 for a blocked key) count too and carry the fields. Over the limit: 429 `rate_limited` with
/// `Retry-After` equal to `t`. Exempt clients, and all clients when the limit is off, get no fields.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let limits: APIRateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        let subject = context.identity.map { RateLimitSubject.user($0.userID) } ?? .client(ClientKey(context.clientAddress))
        let decision = limits.admit(subject, from: context.clientAddress)
        let value = limits.fields.rateLimit(for: decision)
        if case .denied(let seconds) = decision {
            throw ErrorWithHeaders(error: APIError.rateLimited(retryAfterSeconds: seconds), headers: fields(value))
        }
        do {
            var response = try await next(request, context)
            if let value {
                // Appended directly: building a separate HTTPFields and merging it costs an allocation per request.
                response.headers.append(HTTPField(name: .rateLimitPolicy, value: limits.fields.policy))
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

/// An error on its way to ``ProblemMiddleware`` together with headers its response must carry.
struct ErrorWithHeaders: Error {
    /// What went wrong.
    let error: any Error
    /// Added to the problem response.
    let headers: HTTPFields
}

extension HTTPField.Name {
    /// `RateLimit-Policy`: the quota and window of each policy.
    static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    /// `RateLimit`: what is left of a policy's quota and when a slot frees.
    static let rateLimit = HTTPField.Name("RateLimit")!
}
