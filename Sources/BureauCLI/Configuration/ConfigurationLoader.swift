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
        if let file {
            (fileValues, seed) = try Self.readFile(file)
        }
        try checkEnvironmentNames()
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
            ({ $0.environmentName }, EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "bureau")),
            ({ "\(file ?? "file"): \($0.name)" }, InMemoryProvider(name: "file", values: fileValues)),
        ]
        var values: [String: LoadedConfiguration.Value] = [:]
        for key in ConfigurationKey.all {
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
        return LoadedConfiguration(values: values, seed: seed)
    }

    /// Every `BUREAU_*` variable must name a key: a typo must not be silently ignored.
    private func checkEnvironmentNames() throws(ConfigurationError) {
        let known = Set(ConfigurationKey.all.map(\.environmentName))
        for name in environment.keys.sorted() where name.hasPrefix("BUREAU_") && !known.contains(name) {
            throw ConfigurationError("unknown configuration variable \(name)")
        }
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
    private static func readFile(_ path: String) throws(ConfigurationError) -> ([AbsoluteConfigKey: ConfigValue], SeedSection?) {
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
        guard let root else { return ([:], nil) }
        guard let mapping = root.mapping else { throw ConfigurationError("\(path): the top level must be a mapping of keys") }
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var seed: SeedSection?
        func walk(_ mapping: Node.Mapping, prefix: String) throws(ConfigurationError) {
            for (keyNode, valueNode) in mapping {
                guard let component = keyNode.scalar?.string else { throw ConfigurationError("\(path): keys must be plain names") }
                let name = prefix.isEmpty ? component : prefix + "." + component
                if name == "seed" {
                    seed = try SeedSection(node: valueNode, path: path)
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
                    values[absolute] = ConfigValue(.string(scalar.string), isSecret: false)
                default:
                    throw ConfigurationError("invalid value for \(name) in \(path): expected a single value")
                }
            }
        }
        try walk(mapping, prefix: "")
        return (values, seed)
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
