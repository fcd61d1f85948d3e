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
            let email = User.normalise(email: email)
            try Self.validate(email: email)
            let name = (name ?? String(email.prefix { $0 != "@" })).trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(name.count) else { throw CommandFailure("the name must be 1 to 100 characters") }
            let configuration = try options.load()
            let user = try await OfflineDataDirectory.withStore(at: configuration.dataDirectory) { store in
                try await store.commit { state, _, now -> (Mutation?, User) in
                    guard state.user(email: email) == nil else {
                        throw StoreError.conflict(code: "user_exists", detail: "a user with email \(email) already exists")
                    }
                    let user = User(id: .random(), email: email, name: name, createdAt: now)
                    return (.userCreated(user), user)
                }
            }
            print("created user \(user.id) <\(TerminalText.escaped(user.email))>")
        }

        /// A plausible address (``User/isPlausible(email:)``).
        static func validate(email: String) throws(CommandFailure) {
            let plausible = User.isPlausible(email: email)
            guard plausible else { throw CommandFailure("\"\(email)\" is not an email address") }
        }
    }
}
