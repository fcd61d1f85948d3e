import ArgumentParser

/// `bureau`: the root command.
public struct BureauCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bureau",
        abstract: "A self-hostable server for the Le Bureau API.",
        subcommands: [
            ServeCommand.self, ConfigCommand.self, SnapshotCommand.self, DataCommand.self, UsersCommand.self, KeysCommand.self,
            SeedCommand.self,
        ],
        defaultSubcommand: nil
    )

    public init() {}
}

extension BureauCommand {
    /// Parses the process's arguments, runs the chosen subcommand, and exits with its status
    /// (errors go to stderr with a non-zero exit).
    public static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
