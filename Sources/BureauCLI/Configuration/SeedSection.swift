import Yams

/// The `seed` section of a configuration file: users, their desktops and API keys, created when the
/// data directory is empty. A seeded key is given in plaintext (demo and test setups) and hashed on load.
///
/// ```yaml
/// seed:
///   users:
///     - email: demo@bureau.local
///       name: Demo User
///       api_keys:
///         - name: Demo key
///           key: lb_k_...
///       desktops:
///         - name: Demo desktop
///           status: running
/// ```
struct SeedSection: Sendable, Equatable {
    struct SeedUser: Sendable, Equatable {
        var email: String
        var name: String
        var apiKeys: [SeedKey]
        var desktops: [SeedDesktop]
    }

    struct SeedKey: Sendable, Equatable, CustomStringConvertible {
        var name: String
        var plaintext: String
        /// Never the plaintext.
        var description: String { "SeedKey(name: \(name))" }
    }

    struct SeedDesktop: Sendable, Equatable {
        var name: String
        var status: String
    }

    var users: [SeedUser]

    init(users: [SeedUser]) {
        self.users = users
    }

    /// Parses the section strictly: unknown fields and wrong shapes are errors naming the place.
    init(node: Node, path: String) throws(ConfigurationError) {
        func fail(_ place: String, _ message: String) -> ConfigurationError {
            ConfigurationError("invalid \(place) in \(path): \(message)")
        }
        func mapping(_ node: Node, _ place: String, allowed: Set<String>) throws(ConfigurationError) -> [String: Node] {
            guard let mapping = node.mapping else { throw fail(place, "expected a mapping") }
            var fields: [String: Node] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string, allowed.contains(name) else {
                    throw fail(place, "unknown field \(key.scalar?.string ?? "?") (allowed: \(allowed.sorted().joined(separator: ", ")))")
                }
                fields[name] = value
            }
            return fields
        }
        func list(_ node: Node?, _ place: String) throws(ConfigurationError) -> [Node] {
            guard let node else { return [] }
            if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" { return [] }
            guard let sequence = node.sequence else { throw fail(place, "expected a list") }
            return Array(sequence)
        }
        func text(_ node: Node?, _ place: String, required: Bool, default defaultValue: String = "") throws(ConfigurationError) -> String {
            guard let node else {
                if required { throw fail(place, "is required") }
                return defaultValue
            }
            guard let scalar = node.scalar else { throw fail(place, "expected a single value") }
            return scalar.string
        }

        let root = try mapping(node, "seed", allowed: ["users"])
        var users: [SeedUser] = []
        for (index, userNode) in try list(root["users"], "seed.users").enumerated() {
            let place = "seed.users[\(index)]"
            let fields = try mapping(userNode, place, allowed: ["email", "name", "api_keys", "desktops"])
            let email = try text(fields["email"], place + ".email", required: true)
            let name = try text(fields["name"], place + ".name", required: false, default: email)
            var keys: [SeedKey] = []
            for (keyIndex, keyNode) in try list(fields["api_keys"], place + ".api_keys").enumerated() {
                let keyPlace = "\(place).api_keys[\(keyIndex)]"
                let keyFields = try mapping(keyNode, keyPlace, allowed: ["name", "key"])
                keys.append(
                    SeedKey(
                        name: try text(keyFields["name"], keyPlace + ".name", required: true),
                        plaintext: try text(keyFields["key"], keyPlace + ".key", required: true)
                    )
                )
            }
            var desktops: [SeedDesktop] = []
            for (desktopIndex, desktopNode) in try list(fields["desktops"], place + ".desktops").enumerated() {
                let desktopPlace = "\(place).desktops[\(desktopIndex)]"
                let desktopFields = try mapping(desktopNode, desktopPlace, allowed: ["name", "status"])
                desktops.append(
                    SeedDesktop(
                        name: try text(desktopFields["name"], desktopPlace + ".name", required: true),
                        status: try text(desktopFields["status"], desktopPlace + ".status", required: false, default: "running")
                    )
                )
            }
            users.append(SeedUser(email: email, name: name, apiKeys: keys, desktops: desktops))
        }
        self.users = users
    }
}
