import BureauAuth
import BureauServer
import BureauSignIn
import Logging

/// The whole configuration, typed, after precedence (flags, then `BUREAU_*`, then the file, then defaults)
/// and validation.
public struct BureauConfiguration: Sendable {
    /// `http.*`, `auth.*` and `rate_limits.*`: what the HTTP layer uses.
    public var server: ServerSettings
    /// `storage.data_dir`.
    public var dataDirectory: String
    /// `storage.fsync`: `always`, `interval` or `never`.
    public var fsync: String
    /// `storage.snapshot_interval_seconds`.
    public var snapshotIntervalSeconds: Int
    /// `storage.snapshot_log_bytes`.
    public var snapshotLogBytes: Int
    /// `auth.cookie_secure`.
    public var cookieSecure: Bool
    /// `auth.dev_login`.
    public var devLogin: Bool
    /// `stream.heartbeat_seconds`.
    public var heartbeatSeconds: Int
    /// `stream.replay_events`.
    public var replayEvents: Int
    /// `log.level`.
    public var logLevel: Logger.Level
    /// `log.format`.
    public var logFormat: LogFormat
    /// The sign-in providers (`auth.oauth.*`, `auth.oidc.*`) and `auth.oauth.timeout_seconds`.
    public var signIn: SignInSettings
    /// The raw validated values, for settings that later modules read by key (`rate_limits.*`).
    let values: LoadedConfiguration
    /// The `seed` section, if the file has one.
    let seed: SeedSection?

    init(_ loaded: LoadedConfiguration) {
        var server = ServerSettings()
        server.host = loaded.string("http.host")
        server.port = loaded.integer("http.port")
        let origin = loaded.string("http.public_origin")
        server.publicOrigin = origin.isEmpty ? nil : origin
        server.maxBodyBytes = loaded.integer("http.max_body_bytes")
        server.idleTimeoutSeconds = loaded.integer("http.idle_timeout_seconds")
        server.requestHeadTimeoutSeconds = loaded.integer("http.request_head_timeout_seconds")
        server.maxConnectionsPerClient = loaded.integer("http.max_connections_per_client")
        server.listenBacklog = loaded.integer("http.listen_backlog")
        server.shutdownGraceSeconds = loaded.integer("http.shutdown_grace_seconds")
        server.synchronousReads = loaded.boolean("http.synchronous_reads")
        server.metricsEnabled = loaded.boolean("metrics.enabled")
        let metricsHost = loaded.string("metrics.host")
        server.metricsHost = metricsHost.isEmpty ? nil : metricsHost
        server.metricsPort = loaded.integer("metrics.port")
        server.bcryptCost = loaded.integer("auth.bcrypt_cost")
        server.maxKeysPerUser = loaded.integer("auth.max_keys_per_user")
        let maxKeyLifetimeDays = loaded.integer("auth.max_key_lifetime_days")
        server.maxKeyLifetimeDays = maxKeyLifetimeDays == 0 ? nil : maxKeyLifetimeDays
        server.keyUsageFlushSeconds = loaded.integer("auth.key_usage_flush_seconds")
        let unusedKeyDays = loaded.integer("auth.unused_key_days")
        server.unusedKeyDays = unusedKeyDays == 0 ? nil : unusedKeyDays
        server.revokeUnusedKeys = loaded.boolean("auth.revoke_unused_keys")
        server.cookieSecure = loaded.boolean("auth.cookie_secure")
        server.devLogin = loaded.boolean("auth.dev_login")
        server.sessionIdleSeconds = loaded.integer("auth.session_idle_seconds")
        server.sessionAbsoluteSeconds = loaded.integer("auth.session_absolute_seconds")
        server.heartbeatSeconds = loaded.integer("stream.heartbeat_seconds")
        server.maxStreamsPerUser = loaded.integer("stream.max_streams_per_user")
        self.server = server
        dataDirectory = loaded.string("storage.data_dir")
        fsync = loaded.string("storage.fsync")
        snapshotIntervalSeconds = loaded.integer("storage.snapshot_interval_seconds")
        snapshotLogBytes = loaded.integer("storage.snapshot_log_bytes")
        cookieSecure = loaded.boolean("auth.cookie_secure")
        devLogin = loaded.boolean("auth.dev_login")
        heartbeatSeconds = loaded.integer("stream.heartbeat_seconds")
        replayEvents = loaded.integer("stream.replay_events")
        logLevel = Logger.Level(rawValue: loaded.string("log.level")) ?? .info
        logFormat = LogFormat(rawValue: loaded.string("log.format")) ?? .text
        signIn = SignInSettings(publicOrigin: server.origin)
        values = loaded
        seed = loaded.seed
    }

    /// Loads and validates the configuration.
    /// - Parameters:
    ///   - file: the YAML file, or `nil` for embedded defaults.
    ///   - environment: the process environment (`BUREAU_*` variables are read from it).
    ///   - flags: values given on the command line, by key name.
    public static func load(
        file: String?,
        environment: [String: String],
        flags: [String: String]
    ) throws(ConfigurationError) -> BureauConfiguration {
        let loaded = try ConfigurationLoader(file: file, environment: environment, flags: flags).load()
        var configuration = BureauConfiguration(loaded)
        configuration.server.rateLimits = try RateLimitSettings(loaded)
        configuration.signIn = try SignInConfiguration.settings(loaded, publicOrigin: configuration.server.origin)
        configuration.server.signInProviders = configuration.signIn.providers.map {
            SignInProviderListing(name: $0.name.value, displayName: $0.displayName)
        }
        return configuration
    }
}
