import BureauStore

/// Why the gate refused a request.
public enum AccessRefusal: Sendable, Equatable {
    /// No valid credentials: 401. `keyPresented` when an API key was presented and did not authenticate;
    /// `clearCookie` when a session cookie was presented (without a key) and did not.
    case unauthenticated(keyPresented: Bool, clearCookie: Bool)
    /// The client may not have an API key checked now (blocked after failures, its failure slots all in use,
    /// or a table too full to track it): 429 `api_key_auth_blocked` with `Retry-After`.
    case keyAuthBlocked(retryAfterSeconds: Int)
    /// Too many key checks (bcrypt) are under way on the server: 503 `key_checks_busy` with `Retry-After`.
    case keyChecksBusy(retryAfterSeconds: Int)
    /// Over the general rate limit: 429 `rate_limited` with `Retry-After`.
    case rateLimited(retryAfterSeconds: Int)
    /// A cookie-authenticated state change that does not come from the server's own pages: 403.
    case crossSite
    /// A state change (any method but GET, HEAD and OPTIONS) with a `read` API key: 403 `insufficient_scope`.
    case insufficientScope
}

/// The gate's decision on one request, with the general limiter's decision for the `RateLimit` fields
/// (which every governed response carries, refusals included).
public struct AccessVerdict: Sendable, Equatable {
    /// Let through (acting for `principal`, or for nobody on a public route), or refused.
    public enum Outcome: Sendable, Equatable {
        /// Go on to the route; `nil` on a public route without credentials.
        case admitted(Principal?)
        /// Answer with the refusal.
        case refused(AccessRefusal)
    }

    /// What to do with the request.
    public var outcome: Outcome
    /// The general limiter's decision (``RateLimitDecision/unlimited`` for exempt clients or a limit that is off).
    public var rateLimit: RateLimitDecision

    /// A verdict.
    public init(_ outcome: Outcome, rateLimit: RateLimitDecision) {
        self.outcome = outcome
        self.rateLimit = rateLimit
    }
}

/// The first, synchronous step of the gate: final, or the key needs a bcrypt check (the only step that
/// suspends; see ``AccessGate/completeKeyCheck(_:)``).
public enum AccessStep: Sendable {
    /// The verdict.
    case decided(AccessVerdict)
    /// The presented key is well formed and belongs to an active key whose digest is not cached.
    case needsKeyCheck(PendingKeyCheck)
}

/// A request whose key awaits its bcrypt check.
public struct PendingKeyCheck: Sendable {
    /// The request as the gate saw it.
    public let request: AccessRequest
    /// The presented key (well formed).
    let key: Substring
}
