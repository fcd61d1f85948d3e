import ArgumentParser
import BureauServer
import BureauStore
import Foundation

/// `bureau keys create|list|revoke`: manage API keys in a stopped server's data directory.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys in a stopped server's data directory.",
        discussion: "Only `keys create` ever prints a key, once; the data directory keeps only its bcrypt hash.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// `bureau keys create --user E --name N [--expires-in DAYS] [--scope full|read] [--bcrypt-cost C]`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key for a user and print it, once, on standard output.",
            discussion: """
                Standard output carries the key alone (one line), so it can be captured; the key's id goes to \
                standard error. Refused while a server holds the data directory.
                """
        )

        @OptionGroup var options: OfflineOptions

        @Option(help: "The owner's email address.")
        var user: String

        @Option(help: "A name for the key (1 to 100 characters).")
        var name: String

        @Option(
            name: .customLong("expires-in"),
            help: "Days until the key expires, 1 to 36500, at most auth.max_key_lifetime_days when set (default: never)."
        )
        var expiresInDays: Int?

        @Option(help: "What the key may do: full (default) or read (reads only; every change is refused).")
        var scope: String?

        @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost of the hash, 4 to 31 (default: auth.bcrypt_cost).")
        var bcryptCost: Int?

        func run() async throws {
            let input = NewAPIKey(name: name, expiresInDays: expiresInDays, scope: scope)
            if let problem = input.problems.first { throw CommandFailure("--" + Self.flag(problem)) }
            guard bcryptCost.map({ (4...31).contains($0) }) ?? true else { throw CommandFailure("--bcrypt-cost must be 4 to 31") }
            let configuration = try options.load()
            let email = User.normalise(email: user)
            let created = try await OfflineDataDirectory.withOperations(configuration, bcryptCost: bcryptCost) { operations in
                guard let owner = operations.user(email: email) else { throw CommandFailure("no user with email \(email)") }
                do {
                    return try await operations.createAPIKey(input, by: .operator(owner.id))
                } catch StoreError.invalidInput(let problems) where !problems.isEmpty {
                    throw CommandFailure("--" + Self.flag(problems[0]))
                }
            }
            let record = created.record
            FileHandle.standardError.write(
                Data(
                    "created API key \(record.id) \"\(TerminalText.escaped(record.name))\" for \(TerminalText.escaped(email)); it is shown this once\n"
                        .utf8
                )
            )
            print(created.plaintext)
        }

        /// A problem of the input, named by the flag that gave the field.
        static func flag(_ problem: FieldProblem) -> String {
            problem.field == "expiresInDays" ? "expires-in \(problem.message)" : problem.description
        }
    }

    /// `bureau keys list --user E`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a user's active keys: id, name, masked preview, creation, last use, expiry and scope.",
            discussion: "Tab-separated, one key per line after a header line. Refused while a server holds the data directory."
        )

        @OptionGroup var options: OfflineOptions

        @Option(help: "The owner's email address.")
        var user: String

        func run() async throws {
            let configuration = try options.load()
            let email = User.normalise(email: user)
            let keys = try await OfflineDataDirectory.withOperations(configuration) { operations in
                guard let owner = operations.user(email: email) else { throw CommandFailure("no user with email \(email)") }
                return try operations.activeAPIKeys(by: .operator(owner.id))
            }
            print(["id", "name", "preview", "created_at", "last_used_at", "expires_at", "scope"].joined(separator: "\t"))
            for key in keys {
                // Escaped: a stored name may hold tabs, line breaks or terminal control sequences.
                let columns = [
                    key.id.description, TerminalText.escaped(key.name), TerminalText.escaped(key.preview), key.createdAt.rfc3339,
                    key.lastUsedAt?.rfc3339 ?? "never", key.expiresAt?.rfc3339 ?? "never", key.scope.rawValue,
                ]
                print(columns.joined(separator: "\t"))
            }
        }
    }

    /// `bureau keys revoke ID`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key by its id; an unknown or already revoked id is an error.",
            discussion: "Refused while a server holds the data directory."
        )

        @OptionGroup var options: OfflineOptions

        @Argument(help: "The key's id (as `keys list` shows it).")
        var id: String

        func run() async throws {
            guard let keyID = APIKeyID(id) else { throw CommandFailure("not a key id: expected the UUID that `keys list` shows") }
            let configuration = try options.load()
            _ = try await OfflineDataDirectory.withOperations(configuration) { operations in
                do {
                    return try await operations.revokeAPIKeyAsOperator(keyID.description)
                } catch StoreError.notFound {
                    throw CommandFailure("no API key with id \(keyID)")
                }
            }
            print("revoked API key \(keyID)")
        }
    }
}
