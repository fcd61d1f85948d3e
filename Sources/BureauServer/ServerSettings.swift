import BureauAuth
import BureauStore

/// What the HTTP layer needs to know from the configuration (read and validated by the command line).
public struct ServerSettings: Sendable, Equatable {
    /// `http.host`: address to listen on.
    public var host: String = "127.0.0.1"
    /// `http.port`: port to listen on (0 picks a free one).
    public var port: Int = 8080
    /// `http.public_origin`: the origin the dashboard and CSRF checks use; `nil` means `http://HOST:PORT`.
    public var publicOrigin: String?
    /// `http.max_body_bytes`: larger request bodies get 413.
    public var maxBodyBytes: Int = 1_048_576
    /// `http.idle_timeout_seconds`: a connection with no request in progress is closed after this long
    /// (an open activity stream is a request in progress).
    public var idleTimeoutSeconds: Int = 60
    /// `http.request_head_timeout_seconds`: a request head not complete this long after it began drops
    /// its connection.
    public var requestHeadTimeoutSeconds: Int = 10
    /// `http.max_connections_per_client`: open connections per client address (an IPv6 client counts as
    /// its /64); one more is closed at once. 0 = no cap.
    public var maxConnectionsPerClient: Int = 256
    /// `http.listen_backlog`: connections the kernel may hold, handshake done, before the server accepts them
    /// (Linux caps it at `net.core.somaxconn`). One over it is dropped by the kernel and its client
    /// retries after a second or more, so a burst of connections (a load test opening 1,024 at once) must
    /// fit: Hummingbird's default of 256 made such a test's first requests wait up to a second.
    public var listenBacklog: Int = 4096
    /// `http.shutdown_grace_seconds`: at graceful shutdown, requests in progress get this long to finish
    /// before their connections are closed (open activity streams end at once, with a last event).
    public var shutdownGraceSeconds: Int = 10
    /// `http.synchronous_reads` (on by default): answer `GET /api/desktops` with a verified cached key on the
    /// connection's event loop, with the router's answer and effects, instead of through the router.
    public var synchronousReads: Bool = true
    /// `auth.bcrypt_cost`: cost of new key hashes.
    public var bcryptCost: Int = 10
    /// `auth.cookie_secure`: `false` drops `Secure` and the `__Host-` prefix from the session cookie
    /// (plain-HTTP localhost).
    public var cookieSecure: Bool = true
    /// `auth.dev_login`: serve `POST /api/auth/dev-login`.
    public var devLogin: Bool = false
    /// The configured sign-in providers, in the order the sign-in page shows them
    /// (`GET /api/auth/providers`).
    public var signInProviders: [SignInProviderListing] = []
    /// `auth.session_idle_seconds`: a session unused this long ends.
    public var sessionIdleSeconds: Int = 86_400
    /// `auth.session_absolute_seconds`: a session ends this long after it started, whatever its use.
    public var sessionAbsoluteSeconds: Int = 604_800
    /// `auth.max_keys_per_user`: active keys one user may hold (409 beyond).
    public var maxKeysPerUser: Int = 100
    /// `auth.max_key_lifetime_days`: how far ahead a key's `expiresAt` may lie; `nil` (the key's `0`), no bound.
    public var maxKeyLifetimeDays: Int?
    /// `auth.key_usage_flush_seconds`: how often `lastUsedAt` values, requests per day and latest clients
    /// of keys are written to the log.
    public var keyUsageFlushSeconds: Int = 60
    /// `auth.unused_key_days`: keys not used for this many days are flagged `unused`; `nil` (the key's `0`),
    /// none is.
    public var unusedKeyDays: Int?
    /// `auth.revoke_unused_keys`: revoke the keys ``unusedKeyDays`` flags (hourly).
    public var revokeUnusedKeys: Bool = false
    /// `stream.heartbeat_seconds`: how often open activity streams get a `: keep-alive` comment.
    public var heartbeatSeconds: Int = 15
    /// `stream.max_streams_per_user`: open activity streams per user; one more is 429 `too_many_streams`.
    /// 0 = no cap.
    public var maxStreamsPerUser: Int = 16
    /// Signals (events, heartbeats) one activity stream may have queued before it is closed as too slow.
    public var streamBufferEvents: Int = 256
    /// `metrics.enabled`: serve `GET /metrics`.
    public var metricsEnabled: Bool = true
    /// `metrics.host`: the address of the metrics listener of its own (default: `http.host`).
    public var metricsHost: String?
    /// `metrics.port`: a listener of its own for `/metrics` (then not served on the main one); 0 = none.
    public var metricsPort: Int = 0
    /// `rate_limits.*`: the general limit, the failed-key blocker, exemptions and trusted proxies.
    public var rateLimits = RateLimitSettings()

    public init() {}

    /// The origin clients reach the server at.
    public var origin: String { publicOrigin ?? "http://\(host):\(port)" }

    /// The session timeouts.
    public var sessionLifetime: SessionLifetime {
        SessionLifetime(idleSeconds: sessionIdleSeconds, absoluteSeconds: sessionAbsoluteSeconds)
    }
}

/// One sign-in provider as the sign-in page lists it: its name in the URL (`/api/auth/oauth/{name}`)
/// and the words on its button.
public struct SignInProviderListing: Sendable, Equatable {
    /// The provider's name in `/api/auth/oauth/{name}` (`github`, `google`, or an `auth.oidc.NAME`).
    public var name: String
    /// What the sign-in button says ("GitHub", "Google", or `auth.oidc.NAME.display_name`).
    public var displayName: String

    public init(name: String, displayName: String) {
        self.name = name
        self.displayName = displayName
    }
}
