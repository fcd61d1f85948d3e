import BureauAuth

extension RateLimitSettings {
    /// The `rate_limits.*` keys of a loaded configuration. Every entry of `rate_limits.exempt` and
    /// `rate_limits.trusted_proxies` must be an IP address or CIDR block; a first block longer than the
    /// maximum block is refused too. Errors name the key.
    init(_ loaded: LoadedConfiguration) throws(ConfigurationError) {
        self.init()
        generalLimit = loaded.integer("rate_limits.general.limit")
        generalWindowSeconds = loaded.integer("rate_limits.general.window_seconds")
        failedAuthLimit = loaded.integer("rate_limits.failed_auth.limit")
        failedAuthWindowSeconds = loaded.integer("rate_limits.failed_auth.window_seconds")
        blockSeconds = loaded.integer("rate_limits.block.seconds")
        maxBlockSeconds = loaded.integer("rate_limits.block.max_seconds")
        guard blockSeconds <= maxBlockSeconds else {
            throw ConfigurationError(
                "invalid value for rate_limits.block.seconds: \(blockSeconds) is longer than rate_limits.block.max_seconds (\(maxBlockSeconds))"
            )
        }
        exempt = try Self.networks(loaded, "rate_limits.exempt")
        trustedProxies = try Self.networks(loaded, "rate_limits.trusted_proxies")
    }

    private static func networks(_ loaded: LoadedConfiguration, _ key: String) throws(ConfigurationError) -> [IPNetwork] {
        var networks: [IPNetwork] = []
        for entry in loaded.list(key) {
            guard let network = IPNetwork(entry) else {
                throw ConfigurationError(
                    "invalid value for \(key): \"\(entry.prefix(60))\" is not an IP address or CIDR block (like 10.0.0.0/8 or 2001:db8::/32)"
                )
            }
            networks.append(network)
        }
        return networks
    }
}
