import CoreMetrics

/// How a request's credentials came out, for `bureau_auth_outcomes_total{outcome}`: never told to the
/// client, whose 401 says nothing of the reason.
public enum AuthOutcome: String, Sendable, CaseIterable {
    /// A key recognised from the digest cache.
    case cached
    /// A key verified by bcrypt (or by joining another request's bcrypt check of the same key).
    case bcrypt
    /// A valid session cookie.
    case session
    /// Not a key's length, prefix or characters.
    case badShape = "bad_shape"
    /// A key's shape with a wrong checksum (mistyped).
    case badChecksum = "bad_checksum"
    /// A well-formed key no record has.
    case unknown
    /// A revoked key.
    case revoked
    /// An active key whose `expiresAt` has passed.
    case expired
    /// An active key's id with the wrong secret.
    case wrongSecret = "wrong_secret"
    /// A key from a client blocked after failed keys, refused unexamined.
    case blocked
    /// A key whose bcrypt check could not start (too many under way).
    case keyChecksBusy = "key_checks_busy"
    /// A session cookie that is unknown, expired or ended.
    case invalidSession = "invalid_session"
}

/// Which limit refused a request, for `bureau_rate_limited_total{limit}`.
public enum RefusingLimit: String, Sendable, CaseIterable {
    /// The general limit (429 `rate_limited`).
    case general
    /// The failed-key block (429 `api_key_auth_blocked`).
    case failedAuth = "failed_auth"
    /// The cap on bcrypt checks under way (503 `key_checks_busy`).
    case keyChecks = "key_checks"
    /// The cap on a user's open activity streams (429 `too_many_streams`).
    case streams
}

/// The access gate's instruments: auth outcomes by reason, refusals by limit, digest-cache hits and
/// misses, and bcrypt check durations. Every label value comes from a fixed set.
public struct AccessMetrics: Sendable {
    private let outcomes: [Counter]
    private let limits: [Counter]
    let cacheHits: Counter
    let cacheMisses: Counter
    /// bcrypt check durations (the verifier records them).
    public let bcryptDuration: CoreMetrics.Timer

    /// Instruments made by `factory` (the default records nothing).
    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        outcomes = AuthOutcome.allCases.map {
            Counter(label: "bureau_auth_outcomes_total", dimensions: [("outcome", $0.rawValue)], factory: factory)
        }
        limits = RefusingLimit.allCases.map {
            Counter(label: "bureau_rate_limited_total", dimensions: [("limit", $0.rawValue)], factory: factory)
        }
        cacheHits = Counter(label: "bureau_key_cache_hits_total", dimensions: [], factory: factory)
        cacheMisses = Counter(label: "bureau_key_cache_misses_total", dimensions: [], factory: factory)
        bcryptDuration = CoreMetrics.Timer(label: "bureau_bcrypt_check_duration_seconds", dimensions: [], factory: factory)
    }

    /// Counts one request's outcome.
    public func record(_ outcome: AuthOutcome) {
        outcomes[AuthOutcome.allCases.firstIndex(of: outcome)!].increment()
    }

    /// Counts one refusal by `limit`.
    public func record(_ limit: RefusingLimit) {
        limits[RefusingLimit.allCases.firstIndex(of: limit)!].increment()
    }
}
