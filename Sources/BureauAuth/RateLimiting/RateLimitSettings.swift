/// The numbers of the API's rate limits (`rate_limits.*` in the configuration). Defaults are the documented ones.
public struct RateLimitSettings: Sendable, Equatable {
    /// `rate_limits.general.limit`: requests per window per user, or per client without valid credentials; 0 = off.
    public var generalLimit = 120
    /// `rate_limits.general.window_seconds`: length of the general window.
    public var generalWindowSeconds = 60
    /// `rate_limits.failed_auth.limit`: failed API keys per window per client that trigger a block; 0 = off.
    public var failedAuthLimit = 10
    /// `rate_limits.failed_auth.window_seconds`: length of the failure window.
    public var failedAuthWindowSeconds = 60
    /// `rate_limits.block.seconds`: duration of a first block.
    public var blockSeconds = 300
    /// `rate_limits.block.max_seconds`: cap of the doubling block, and the quiet period ending an offence streak.
    public var maxBlockSeconds = 3600
    /// `rate_limits.exempt`: clients never limited nor blocked.
    public var exempt: [IPNetwork] = []
    /// `rate_limits.trusted_proxies`: peers whose `X-Forwarded-For` is believed.
    public var trustedProxies: [IPNetwork] = []
    /// Most keys each limiter remembers (users and clients for the general limit, clients for the blocker).
    public var maxTrackedClients = 1_000_000
    /// Most bcrypt key checks under way at once, server-wide; past it a check is refused (503), not queued.
    public var maxConcurrentKeyChecks = 16
    /// Most bcrypt key checks under way at once for one client; past it a check is refused (429).
    public var maxConcurrentKeyChecksPerClient = 2

    /// The documented defaults.
    public init() {}
}
