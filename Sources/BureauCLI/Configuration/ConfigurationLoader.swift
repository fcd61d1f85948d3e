import BureauSignIn
import Configuration
import Foundation
import Yams

/// Reads the configuration from, in order of precedence: command-line flags, `BUREAU_*` environment
/// variables, the YAML file, the embedded defaults. Unknown keys and bad values stop start-up with a
/// message naming the key and its source.
struct ConfigurationLoader {
    /// Path of the YAML file, if any.
    var file: String?
    /// The process environment (tests pass their own).
    var environment: [String: String]
    /// Flag values by key name (`http.port` → `"9000"`).
    var flags: [String: String]

    func load() throws(ConfigurationError) -> LoadedConfiguration {
        var fileValues: [AbsoluteConfigKey: ConfigValue] = [:]
        var seed: SeedSection?
        // The generic OpenID providers named anywhere, in the order first met (file, environment, flags).
        var openIDProviders: [String] = []
        if let file {
            (fileValues, seed, openIDProviders) = try Self.readFile(file)
        }
        let openIDEnvironment = try checkEnvironmentNames()
        for name in openIDEnvironment.names where !openIDProviders.contains(name) { openIDProviders.append(name) }
        for flag in flags.keys.sorted() where flag.hasPrefix(OpenIDProviderKeys.prefix) {
            let name = String(flag.dropFirst(OpenIDProviderKeys.prefix.count).prefix { $0 != "." })
            if !openIDProviders.contains(name) { openIDProviders.append(name) }
        }
        // A list key's flag is comma-separated, like its environment variable.
        let flagValues = Dictionary(
            uniqueKeysWithValues: flags.map { name, value in
                let content: ConfigContent =
                    if case .list? = ConfigurationKey.byName[name]?.kind {
                        .stringArray(value.split(separator: ",").map { String($0) })
                    } else {
                        .string(value)
                    }
                return (AbsoluteConfigKey(ConfigKey(name)), ConfigValue(content, isSecret: false))
            }
        )
        let layers: [(source: (ConfigurationKey) -> String, provider: any ConfigProvider)] = [
            ({ $0.flagName }, InMemoryProvider(name: "flags", values: flagValues)),
            ({ $0.environmentName }, InMemoryProvider(name: "environment", values: openIDEnvironment.values)),
            ({ $0.environmentName }, EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "bureau")),
            ({ "\(file ?? "file"): \($0.name)" }, InMemoryProvider(name: "file", values: fileValues)),
        ]
        var values: [String: LoadedConfiguration.Value] = [:]
        for key in ConfigurationKey.all + openIDProviders.flatMap(OpenIDProviderKeys.keys(for:)) {
            var resolved: (raw: [String], source: String)?
            for layer in layers {
                let absolute = AbsoluteConfigKey(ConfigKey(key.name))
                let lookup: LookupResult
                do {
                    if case .list = key.kind {
                        lookup = try layer.provider.value(forKey: absolute, type: .stringArray)
                    } else {
                        lookup = try layer.provider.value(forKey: absolute, type: .string)
                    }
                } catch {
                    throw ConfigurationError("invalid value for \(key.name) (from \(layer.source(key))): wrong type")
                }
                switch lookup.value?.content {
                case .string(let string)?:
                    resolved = ([string], layer.source(key))
                case .stringArray(let strings)?:
                    resolved = (strings, layer.source(key))
                default:
                    continue
                }
                break
            }
            let (raw, source) = resolved ?? (key.defaultValue.isEmpty ? [] : [key.defaultValue], "default")
            values[key.name] = try Self.convert(raw, for: key, source: source)
        }
        return LoadedConfiguration(values: values, seed: seed, openIDProviders: openIDProviders)
    }

    /// Every `BUREAU_*` variable must name a key: a typo must not be silently ignored. Returns the values
    /// of `BUREAU_AUTH_OIDC_*` variables by key, and the providers they name (sorted).
    private func checkEnvironmentNames() throws(ConfigurationError) -> (values: [AbsoluteConfigKey: ConfigValue], names: [String]) {
        let known = Set(ConfigurationKey.all.map(\.environmentName))
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var names: [String] = []
        for name in environment.keys.sorted() where name.hasPrefix("BUREAU_") && !known.contains(name) {
            guard let (provider, field) = try OpenIDProviderKeys.parse(environmentName: name) else {
                throw ConfigurationError("unknown configuration variable \(name)")
            }
            let isSecret = OpenIDProviderKeys.fields.contains { $0.name == field && $0.isSecret }
            values[AbsoluteConfigKey(ConfigKey("\(OpenIDProviderKeys.prefix)\(provider).\(field)"))] = ConfigValue(
                .string(environment[name] ?? ""),
                isSecret: isSecret
            )
            if !names.contains(provider) { names.append(provider) }
        }
        return (values, names)
    }

    private static func convert(
        _ raw: [String],
        for key: ConfigurationKey,
        source: String
    ) throws(ConfigurationError)
        -> LoadedConfiguration.Value
    {
        func bad(_ expectation: String) -> ConfigurationError {
            ConfigurationError("invalid value for \(key.name) (from \(source)): expected \(expectation)")
        }
        switch key.kind {
        case .list:
            return .list(raw.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        case .string:
            return .string(raw.first ?? "")
        case .integer(let range):
            guard raw.count == 1, let value = Int(raw[0].trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw bad("an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return .integer(value)
        case .boolean:
            switch raw.first?.lowercased() {
            case "true"?, "yes"?, "on"?, "1"?: return .boolean(true)
            case "false"?, "no"?, "off"?, "0"?: return .boolean(false)
            default: throw bad("true or false")
            }
        case .choice(let choices):
            guard raw.count == 1, choices.contains(raw[0]) else { throw bad("one of " + choices.joined(separator: ", ")) }
            return .string(raw[0])
        }
    }

    /// Parses the YAML file into flat values, checking every key against the documented ones.
    private static func readFile(
        _ path: String
    ) throws(ConfigurationError) -> ([AbsoluteConfigKey: ConfigValue], SeedSection?, [String]) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("cannot read configuration file \(path)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("\(path) is not valid YAML: \(String(describing: error).prefix(300))")
        }
        guard let root else { return ([:], nil, []) }
        guard let mapping = root.mapping else { throw ConfigurationError("\(path): the top level must be a mapping of keys") }
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var seed: SeedSection?
        var openIDProviders: [String] = []
        /// `auth.oidc`: a mapping of provider names to mappings of their fields.
        func readOpenIDProviders(_ node: Node) throws(ConfigurationError) {
            guard let providers = node.mapping else { throw ConfigurationError("\(path): auth.oidc must map provider names to their settings") }
            for (nameNode, settingsNode) in providers {
                guard let name = nameNode.scalar?.string else { throw ConfigurationError("\(path): keys must be plain names") }
                guard ProviderName.isValid(name) else {
                    throw ConfigurationError(
                        "invalid sign-in provider name \(TerminalText.escaped(String(name.prefix(40)))) in auth.oidc in \(path): use 1 to 32 of a-z, 0-9 and -"
                    )
                }
                guard let settings = settingsNode.mapping else {
                    throw ConfigurationError("\(path): auth.oidc.\(name) must be a mapping of its settings")
                }
                for (fieldNode, valueNode) in settings {
                    let field = fieldNode.scalar?.string ?? ""
                    guard let known = OpenIDProviderKeys.fields.first(where: { $0.name == field }) else {
                        throw ConfigurationError("unknown configuration key auth.oidc.\(name).\(TerminalText.escaped(field)) in \(path)")
                    }
                    guard let scalar = valueNode.scalar else {
                        throw ConfigurationError("invalid value for auth.oidc.\(name).\(field) in \(path): expected a single value")
                    }
                    values[AbsoluteConfigKey(ConfigKey("\(OpenIDProviderKeys.prefix)\(name).\(field)"))] = ConfigValue(
                        .string(scalar.string),
                        isSecret: known.isSecret
                    )
                }
                if !openIDProviders.contains(name) { openIDProviders.append(name) }
            }
        }
        func walk(_ mapping: Node.Mapping, prefix: String) throws(ConfigurationError) {
            for (keyNode, valueNode) in mapping {
                guard let component = keyNode.scalar?.string else { throw ConfigurationError("\(path): keys must be plain names") }
                let name = prefix.isEmpty ? component : prefix + "." + component
                if name == "seed" {
                    seed = try SeedSection(node: valueNode, path: path)
                    continue
                }
                if name == "auth.oidc" {
                    try readOpenIDProviders(valueNode)
                    continue
                }
                if let nested = valueNode.mapping {
                    guard ConfigurationKey.all.contains(where: { $0.name.hasPrefix(name + ".") }) else {
                        throw ConfigurationError("unknown configuration key \(name) in \(path)")
                    }
                    try walk(nested, prefix: name)
                    continue
                }
                guard let key = ConfigurationKey.byName[name] else {
                    throw ConfigurationError("unknown configuration key \(name) in \(path)")
                }
                let absolute = AbsoluteConfigKey(ConfigKey(name))
                switch (key.kind, valueNode) {
                case (.list, .sequence(let sequence)):
                    var items: [String] = []
                    for item in sequence {
                        guard let scalar = item.scalar?.string else {
                            throw ConfigurationError("invalid value for \(name) in \(path): expected a list of strings")
                        }
                        items.append(scalar)
                    }
                    values[absolute] = ConfigValue(.stringArray(items), isSecret: false)
                case (.list, .scalar(let scalar)):
                    let items = scalar.string.split(separator: ",").map(String.init)
                    values[absolute] = ConfigValue(.stringArray(items), isSecret: false)
                case (_, .scalar(let scalar)):
                    values[absolute] = ConfigValue(.string(scalar.string), isSecret: key.isSecret)
                default:
                    throw ConfigurationError("invalid value for \(name) in \(path): expected a single value")
                }
            }
        }
        try walk(mapping, prefix: "")
        return (values, seed, openIDProviders)
    }
}

/// The configuration after precedence and validation, by key name.
struct LoadedConfiguration: Sendable {
    enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case list([String])
    }

    let values: [String: Value]
    let seed: SeedSection?
    /// The `auth.oidc.NAME` providers, in the order first met (the file's first).
    var openIDProviders: [String] = []

    func string(_ name: String) -> String {
        if case .string(let value)? = values[name] { return value }
        preconditionFailure("\(name) is not a string key")
    }

    func integer(_ name: String) -> Int {
        if case .integer(let value)? = values[name] { return value }
        preconditionFailure("\(name) is not an integer key")
    }

    func boolean(_ name: String) -> Bool {
        if case .boolean(let value)? = values[name] { return value }
        preconditionFailure("\(name) is not a boolean key")
    }

    func list(_ name: String) -> [String] {
        if case .list(let value)? = values[name] { return value }
        preconditionFailure("\(name) is not a list key")
    }
}
