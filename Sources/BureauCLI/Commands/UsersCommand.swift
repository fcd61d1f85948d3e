import ArgumentParser
import BureauStore
import Foundation

/// `bureau users add`: create a user in a stopped server's data directory.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage users in a stopped server's data directory.",
        subcommands: [Add.self]
    )

    /// `bureau users add --email E [--name N] [--data-dir DIR]`.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user (refused while a server holds the data directory).",
            discussion: """
                The change is written to the directory's log like any other, so the server finds the user when \
                it starts. Prints the new user's id.
                """
        )

        @OptionGroup var options: OfflineOptions

        @Option(help: "Email address (stored trimmed and lowercased; must be unique).")
        var email: String

        @Option(help: "Display name (default: the part of the email before @).")
        var name: String?

        func run() async throws {
            let input = NewUser(email: email, name: name)
            if let problem = input.problems.first { throw CommandFailure("--\(problem)") }
            let configuration = try options.load()
            let user = try await OfflineDataDirectory.withOperations(configuration) { operations in
                try await operations.createUser(input)
            }
            print("created user \(user.id) <\(TerminalText.escaped(user.email))>")
        }
    }
}
