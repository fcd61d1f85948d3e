import ArgumentParser
import Foundation

/// Options shared by every command that reads the configuration: the file, the data directory, and any
/// configuration key as a flag (`--http-max-body-bytes 2048`, `--storage-fsync=never`).
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (default: embedded defaults).")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (storage.data_dir).")
    var dataDirectory: String?

    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp("Any configuration key as a flag, e.g. --storage-fsync never.", valueName: "--key value")
    )
    var keyFlags: [String] = []

    /// Flag values by key name; unknown flags and missing values are errors.
    func flagValues(extra: [String: String] = [:]) throws(ConfigurationError) -> [String: String] {
        var values = extra
        if let dataDirectory { values["storage.data_dir"] = dataDirectory }
        let keysByFlag = Dictionary(uniqueKeysWithValues: ConfigurationKey.all.map { ($0.flagName, $0) })
        var index = 0
        while index < keyFlags.count {
            let argument = keyFlags[index]
            var flag = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            let keyName: String
            let isSecret: Bool
            if let key = keysByFlag[flag] {
                (keyName, isSecret) = (key.name, key.isSecret)
            } else if let (provider, field) = try OpenIDProviderKeys.parse(flag: flag) {
                keyName = "\(OpenIDProviderKeys.prefix)\(provider).\(field)"
                isSecret = OpenIDProviderKeys.fields.contains { $0.name == field && $0.isSecret }
            } else {
                throw ConfigurationError("unknown option \(flag)")
            }
            // A flag shows in the process list: secrets come from the environment or a file.
            guard !isSecret else {
                throw ConfigurationError(
                    "\(keyName) cannot be given on the command line: set \(ConfigurationKey.environmentName(of: keyName)) or \(keyName)_file"
                )
            }
            if value == nil {
                index += 1
                guard index < keyFlags.count else { throw ConfigurationError("missing value for \(flag)") }
                value = keyFlags[index]
            }
            values[keyName] = value
            index += 1
        }
        return values
    }

    /// Loads the configuration with these options over the process environment.
    func load(extra: [String: String] = [:]) throws(ConfigurationError) -> BureauConfiguration {
        try BureauConfiguration.load(
            file: config,
            environment: ProcessInfo.processInfo.environment,
            flags: try flagValues(extra: extra)
        )
    }
}
