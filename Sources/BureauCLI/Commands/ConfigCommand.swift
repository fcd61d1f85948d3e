import ArgumentParser

/// `bureau config check FILE`: validate a configuration file (with the environment applied) without serving.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with configuration files.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration file; exits non-zero naming the first bad key."
        )

        @Argument(help: "The YAML file to check.")
        var file: String

        func run() async throws {
            var options = try ConfigurationOptions.parse([])
            options.config = file
            let configuration = try options.load()
            if let seed = configuration.seed { try Seeder.check(seed) }
            print("\(TerminalText.escaped(file)): OK")
        }
    }
}
