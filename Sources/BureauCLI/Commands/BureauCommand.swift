import ArgumentParser
import Foundation

/// `bureau`: the root command.
public struct BureauCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bureau",
        abstract: "A self-hostable server for the Le Bureau API.",
        version: BureauVersion.description,
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
    /// (errors go to stderr, escaped by ``TerminalText``, with a non-zero exit).
    public static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            // An error may quote input or stored data (an email, a name, a path): never raw to the terminal.
            FileHandle.standardError.write(Data((TerminalText.escapedLines(fullMessage(for: error)) + "\n").utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
