import BureauSignIn
import Foundation

/// One documented configuration key: its dotted name (`http.port`), what values it takes, its default.
/// The names are a public interface: the file's keys, `BUREAU_*` variables and `--flags` all derive from them.
struct ConfigurationKey: Sendable {
    enum Kind: Sendable {
        case string
        case integer(ClosedRange<Int>)
        case boolean
        case choice([String])
        case list
    }

    let name: String
    let kind: Kind
    let defaultValue: String
    let summary: String
    /// A secret (a client secret): read from the file or a `BUREAU_*` variable, never a flag (the
    /// process list would show it), and never printed.
    var isSecret = false

    /// `BUREAU_HTTP_MAX_BODY_BYTES` for `http.max_body_bytes`.
    var environmentName: String { Self.environmentName(of: name) }

    /// The variable of key `name` (a `-` in an `auth.oidc` provider's name becomes `_`).
    static func environmentName(of name: String) -> String {
        "BUREAU_" + name.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// `--http-max-body-bytes` for `http.max_body_bytes`.
    var flagName: String {
        "--" + name.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "_", with: "-")
    }
}

extension ConfigurationKey {
    /// Every key Bureau reads, in the order the reference documents them.
    static let all: [ConfigurationKey] = [
        .init(name: "http.host", kind: .string, defaultValue: "127.0.0.1", summary: "address to listen on"),
        .init(name: "http.port", kind: .integer(0...65535), defaultValue: "8080", summary: "port to listen on (0 picks a free one)"),
        .init(
            name: "http.public_origin",
            kind: .string,
            defaultValue: "",
            summary: "origin for the dashboard and CSRF checks (default http://HOST:PORT)"
        ),
        .init(name: "http.max_body_bytes", kind: .integer(1024...(1 << 30)), defaultValue: "1048576", summary: "request bodies above this get 413"),
        .init(
            name: "http.idle_timeout_seconds",
            kind: .integer(1...86_400),
            defaultValue: "60",
            summary: "close a connection idle this long (an open activity stream is not idle)"
        ),
        .init(
            name: "http.request_head_timeout_seconds",
            kind: .integer(1...3600),
            defaultValue: "10",
            summary: "drop a connection whose request head is not complete this long after it began"
        ),
        .init(
            name: "http.max_connections_per_client",
            kind: .integer(0...1_000_000),
            defaultValue: "256",
            summary: "open connections per client address, an IPv6 client as its /64 (0 = no cap)"
        ),
        .init(
            name: "http.listen_backlog",
            kind: .integer(1...65_535),
            defaultValue: "4096",
            summary: "connections the kernel may hold accepted before the server takes them (capped by net.core.somaxconn)"
        ),
        .init(
            name: "http.shutdown_grace_seconds",
            kind: .integer(0...3600),
            defaultValue: "10",
            summary: "on SIGTERM or SIGINT, wait this long for requests in progress before closing their connections"
        ),
        .init(
            name: "http.synchronous_reads",
            kind: .boolean,
            defaultValue: "true",
            summary: "answer GET /api/desktops with a cached key on the event loop, past the router (false: every request through the router)"
        ),
        .init(name: "storage.data_dir", kind: .string, defaultValue: "./data", summary: "the data directory"),
        .init(
            name: "storage.fsync",
            kind: .choice(["always", "interval", "never"]),
            defaultValue: "always",
            summary: "when log writes are synced to disk"
        ),
        .init(
            name: "storage.snapshot_interval_seconds",
            kind: .integer(0...(86_400 * 365)),
            defaultValue: "300",
            summary: "periodic snapshot (0 = only at shutdown and by size)"
        ),
        .init(
            name: "storage.snapshot_log_bytes",
            kind: .integer(4096...(1 << 40)),
            defaultValue: "67108864",
            summary: "snapshot when the log grows past this"
        ),
        .init(name: "auth.bcrypt_cost", kind: .integer(4...31), defaultValue: "10", summary: "bcrypt cost of new key hashes"),
        .init(name: "auth.cookie_secure", kind: .boolean, defaultValue: "true", summary: "false = plain-HTTP localhost mode"),
        .init(name: "auth.dev_login", kind: .boolean, defaultValue: "false", summary: "enable POST /api/auth/dev-login"),
        .init(
            name: "auth.session_idle_seconds",
            kind: .integer(60...(86_400 * 365)),
            defaultValue: "86400",
            summary: "a browser session unused this long ends"
        ),
        .init(
            name: "auth.session_absolute_seconds",
            kind: .integer(60...(86_400 * 365)),
            defaultValue: "604800",
            summary: "a browser session ends this long after sign-in, whatever its use"
        ),
        .init(
            name: "auth.oauth.timeout_seconds",
            kind: .integer(1...120),
            defaultValue: "10",
            summary: "bound on connecting to a sign-in provider and on each whole call to it"
        ),
        .init(name: "auth.oauth.github.client_id", kind: .string, defaultValue: "", summary: "GitHub sign-in: the OAuth app's client id"),
        .init(
            name: "auth.oauth.github.client_secret",
            kind: .string,
            defaultValue: "",
            summary: "GitHub sign-in: the client secret (environment or file only, never a flag)",
            isSecret: true
        ),
        .init(
            name: "auth.oauth.github.client_secret_file",
            kind: .string,
            defaultValue: "",
            summary: "GitHub sign-in: a file holding the client secret"
        ),
        .init(
            name: "auth.oauth.github.authorize_url",
            kind: .string,
            defaultValue: "https://github.com/login/oauth/authorize",
            summary: "GitHub sign-in: authorization endpoint (GitHub Enterprise: https://HOST/login/oauth/authorize)"
        ),
        .init(
            name: "auth.oauth.github.token_url",
            kind: .string,
            defaultValue: "https://github.com/login/oauth/access_token",
            summary: "GitHub sign-in: token endpoint"
        ),
        .init(
            name: "auth.oauth.github.api_url",
            kind: .string,
            defaultValue: "https://api.github.com",
            summary: "GitHub sign-in: REST API root (GitHub Enterprise: https://HOST/api/v3)"
        ),
        .init(name: "auth.oauth.google.client_id", kind: .string, defaultValue: "", summary: "Google sign-in: the OAuth client id"),
        .init(
            name: "auth.oauth.google.client_secret",
            kind: .string,
            defaultValue: "",
            summary: "Google sign-in: the client secret (environment or file only, never a flag)",
            isSecret: true
        ),
        .init(
            name: "auth.oauth.google.client_secret_file",
            kind: .string,
            defaultValue: "",
            summary: "Google sign-in: a file holding the client secret"
        ),
        .init(
            name: "auth.oauth.google.issuer",
            kind: .string,
            defaultValue: "https://accounts.google.com",
            summary: "Google sign-in: the OpenID issuer"
        ),
        .init(name: "auth.max_keys_per_user", kind: .integer(1...100_000), defaultValue: "100", summary: "active API keys per user (409 beyond)"),
        .init(
            name: "auth.max_key_lifetime_days",
            kind: .integer(0...36_500),
            defaultValue: "0",
            summary: "how many days ahead a key's expiresAt may lie, and the lifetime of a key created without one (0 = keys may never expire)"
        ),
        .init(
            name: "auth.key_usage_flush_seconds",
            kind: .integer(1...86_400),
            defaultValue: "60",
            summary: "how often lastUsedAt, requests per day and the latest client of keys are persisted"
        ),
        .init(
            name: "auth.unused_key_days",
            kind: .integer(0...36_500),
            defaultValue: "0",
            summary: "flag keys not used for this many days, counted from creation when never used (0 = none)"
        ),
        .init(
            name: "auth.revoke_unused_keys",
            kind: .boolean,
            defaultValue: "false",
            summary: "revoke the keys auth.unused_key_days flags, at start-up and hourly, each with an api_key.revoked_unused event"
        ),
        .init(
            name: "rate_limits.general.limit",
            kind: .integer(0...1_000_000_000),
            defaultValue: "120",
            summary: "requests per window per user or IP (0 = off)"
        ),
        .init(name: "rate_limits.general.window_seconds", kind: .integer(1...86_400), defaultValue: "60", summary: "general limit window"),
        .init(
            name: "rate_limits.failed_auth.limit",
            kind: .integer(0...1_000_000),
            defaultValue: "10",
            summary: "failed API-key attempts per window per IP before a block (0 = off)"
        ),
        .init(name: "rate_limits.failed_auth.window_seconds", kind: .integer(1...86_400), defaultValue: "60", summary: "failed-attempt window"),
        .init(name: "rate_limits.block.seconds", kind: .integer(1...86_400), defaultValue: "300", summary: "first block duration"),
        .init(name: "rate_limits.block.max_seconds", kind: .integer(1...(86_400 * 30)), defaultValue: "3600", summary: "cap of the doubling block"),
        .init(name: "rate_limits.exempt", kind: .list, defaultValue: "", summary: "CIDRs never limited"),
        .init(name: "rate_limits.trusted_proxies", kind: .list, defaultValue: "", summary: "CIDRs whose X-Forwarded-For is believed"),
        .init(name: "stream.heartbeat_seconds", kind: .integer(1...3600), defaultValue: "15", summary: "SSE keep-alive interval"),
        .init(name: "stream.replay_events", kind: .integer(0...1_000_000), defaultValue: "1000", summary: "events kept per user for resume"),
        .init(
            name: "stream.max_streams_per_user",
            kind: .integer(0...100_000),
            defaultValue: "16",
            summary: "open activity streams per user; one more is 429 (0 = no cap)"
        ),
        .init(
            name: "log.level",
            kind: .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]),
            defaultValue: "info",
            summary: "log verbosity"
        ),
        .init(name: "metrics.enabled", kind: .boolean, defaultValue: "true", summary: "serve GET /metrics (Prometheus text)"),
        .init(name: "metrics.host", kind: .string, defaultValue: "", summary: "address of the metrics listener of its own (default: http.host)"),
        .init(
            name: "metrics.port",
            kind: .integer(0...65535),
            defaultValue: "0",
            summary: "serve /metrics on a listener of its own at this port instead of the main one (0 = no)"
        ),
        .init(
            name: "log.format",
            kind: .choice(LogFormat.allCases.map(\.rawValue)),
            defaultValue: "text",
            summary: "text (key=value lines) or json (one object per line)"
        ),
    ]

    /// Keys by name.
    static let byName: [String: ConfigurationKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}

/// The keys of one generic OpenID Connect provider, `auth.oidc.NAME.*`: as many providers as the file
/// or the environment names. In a variable or a flag, a `-` of NAME is written `_` or `-` respectively
/// (`BUREAU_AUTH_OIDC_MY_SSO_ISSUER`, `--auth-oidc-my-sso-issuer` for `auth.oidc.my-sso.issuer`).
enum OpenIDProviderKeys {
    static let prefix = "auth.oidc."

    /// The fields of each provider.
    static let fields: [(name: String, summary: String, isSecret: Bool)] = [
        ("issuer", "the issuer (discovery at ISSUER/.well-known/openid-configuration)", false),
        ("client_id", "the client id Bureau is registered under", false),
        ("client_secret", "the client secret (environment or file only, never a flag)", true),
        ("client_secret_file", "a file holding the client secret", false),
        ("display_name", "what the sign-in button says (default: NAME)", false),
    ]

    /// The keys of provider `name`.
    static func keys(for name: String) -> [ConfigurationKey] {
        fields.map {
            ConfigurationKey(name: "\(prefix)\(name).\($0.name)", kind: .string, defaultValue: "", summary: $0.summary, isSecret: $0.isSecret)
        }
    }

    /// The provider and field a `BUREAU_AUTH_OIDC_…` variable names, if it names one (`nil` for a
    /// variable outside the family; an error for one inside it that names no field or a bad name).
    static func parse(environmentName: String) throws(ConfigurationError) -> (provider: String, field: String)? {
        let family = "BUREAU_AUTH_OIDC_"
        guard environmentName.hasPrefix(family) else { return nil }
        let rest = environmentName.dropFirst(family.count)
        for field in fields.sorted(by: { $0.name.count > $1.name.count }) {
            let suffix = "_" + field.name.uppercased()
            guard rest.hasSuffix(suffix) else { continue }
            let provider = rest.dropLast(suffix.count).lowercased().replacingOccurrences(of: "_", with: "-")
            guard ProviderName.isValid(provider) else {
                throw ConfigurationError("invalid sign-in provider name in \(environmentName): use 1 to 32 of a-z, 0-9 and -")
            }
            return (provider, field.name)
        }
        throw ConfigurationError("unknown configuration variable \(environmentName)")
    }

    /// The provider and field a `--auth-oidc-…` flag names, if it names one.
    static func parse(flag: String) throws(ConfigurationError) -> (provider: String, field: String)? {
        let family = "--auth-oidc-"
        guard flag.hasPrefix(family) else { return nil }
        let rest = flag.dropFirst(family.count)
        for field in fields.sorted(by: { $0.name.count > $1.name.count }) {
            let suffix = "-" + field.name.replacingOccurrences(of: "_", with: "-")
            guard rest.hasSuffix(suffix) else { continue }
            let provider = String(rest.dropLast(suffix.count))
            guard ProviderName.isValid(provider) else {
                throw ConfigurationError("invalid sign-in provider name in \(flag): use 1 to 32 of a-z, 0-9 and -")
            }
            return (provider, field.name)
        }
        return nil
    }
}
