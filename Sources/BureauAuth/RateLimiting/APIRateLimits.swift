import Logging

/// The API's rate limits put together: client-address resolution, exemptions, the general sliding-window
/// limit and the failed-API-key blocker, built once from ``RateLimitSettings`` and shared by all requests.
///
/// Exempt clients (by address, whatever their credentials) get ``RateLimitDecision/unlimited``, are never
/// blocked and have no failure counted.
public struct APIRateLimits: Sendable {
    /// The numbers in force.
    public let settings: RateLimitSettings
    /// Finds a request's client address.
    public let resolver: ClientIPResolver
    /// The general limit, per user or per client.
    public let general: SlidingWindowLimiter<RateLimitSubject>
    /// The failed-API-key blocker, per client.
    public let failedAuth: FailedAuthBlocker
    /// The `RateLimit-Policy` / `RateLimit` field values of the general limit.
    public let fields: RateLimitFields

    /// Limits with `settings`, reading time from `clock`, logging blocks to `logger`.
    public init(settings: RateLimitSettings, clock: any MonotonicClock = SystemMonotonicClock(), logger: Logger) {
        self.settings = settings
        self.resolver = ClientIPResolver(trustedProxies: settings.trustedProxies)
        self.general = SlidingWindowLimiter(
            limit: settings.generalLimit,
            windowSeconds: settings.generalWindowSeconds,
            maxTrackedKeys: settings.maxTrackedClients,
            clock: clock
        )
        self.failedAuth = FailedAuthBlocker(
            limit: settings.failedAuthLimit,
            windowSeconds: settings.failedAuthWindowSeconds,
            blockSeconds: settings.blockSeconds,
            maxBlockSeconds: settings.maxBlockSeconds,
            maxTrackedClients: settings.maxTrackedClients,
            clock: clock,
            logger: logger
        )
        self.fields = RateLimitFields(policyName: "general", quota: settings.generalLimit, windowSeconds: settings.generalWindowSeconds)
    }

    /// Whether `client` is inside an exempt block.
    public func isExempt(_ client: IPAddress) -> Bool {
        settings.exempt.containsAddress(client)
    }

    /// Counts a request of `subject` coming from `client` against the general limit.
    public func admit(_ subject: RateLimitSubject, from client: IPAddress) -> RateLimitDecision {
        isExempt(client) ? .unlimited : general.acquire(subject)
    }

    /// Whether `client` may have a presented API key checked. Ask before any verification.
    public func apiKeyPermission(for client: IPAddress) -> FailedAuthBlocker.Permission {
        isExempt(client) ? .permitted : failedAuth.check(ClientKey(client))
    }

    /// Records that `client` presented an API key that did not authenticate.
    @discardableResult
    public func recordFailedAPIKey(from client: IPAddress) -> FailedAuthBlocker.FailureOutcome {
        isExempt(client) ? .ignored : failedAuth.recordFailure(from: ClientKey(client))
    }

    /// Drops idle state from both limiters.
    public func sweep() {
        general.sweep()
        failedAuth.sweep()
    }
}
