import ArgumentParser
import BureauAuth
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

    /// `bureau keys create --user E --name N [--bcrypt-cost C]`.
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

        @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost of the hash, 4 to 31 (default: auth.bcrypt_cost).")
        var bcryptCost: Int?

        func run() async throws {
            let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(name.count) else { throw CommandFailure("the key name must be 1 to 100 characters") }
            let configuration = try options.load()
            let cost = bcryptCost ?? configuration.server.bcryptCost
            guard (4...31).contains(cost) else { throw CommandFailure("--bcrypt-cost must be 4 to 31") }
            let cap = configuration.server.maxKeysPerUser
            let email = User.normalise(email: user)
            let key = APIKeyFormat.generate()
            let record = try await OfflineDataDirectory.withStore(at: configuration.dataDirectory) { store in
                guard store.read({ $0.user(email: email) }) != nil else { throw CommandFailure("no user with email \(email)") }
                let hash = try await APIKeyHasher(cost: cost).hash(key)
                return try await store.commit { state, _, now -> (Mutation?, APIKeyRecord) in
                    guard let owner = state.user(email: email) else { throw CommandFailure("no user with email \(email)") }
                    guard state.activeKeys(of: owner.id).count < cap else {
                        throw CommandFailure("\(email) already has \(cap) active keys (auth.max_keys_per_user); revoke one first")
                    }
                    guard state.activeKey(lookupID: key.lookupID) == nil else { throw CommandFailure("key id collision; run the command again") }
                    let record = APIKeyRecord(
                        id: .random(),
                        userID: owner.id,
                        name: name,
                        lookupID: key.lookupID,
                        secretHash: hash,
                        lastFour: key.lastFour,
                        createdAt: now
                    )
                    return (.apiKeyCreated(record), record)
                }
            }
            FileHandle.standardError.write(
                Data(
                    "created API key \(record.id) \"\(TerminalText.escaped(record.name))\" for \(TerminalText.escaped(email)); it is shown this once\n"
                        .utf8
                )
            )
            print(key.plaintext)
        }
    }

    /// `bureau keys list --user E`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a user's active keys: id, name, masked preview, creation and last use.",
            discussion: "Tab-separated, one key per line after a header line. Refused while a server holds the data directory."
        )

        @OptionGroup var options: OfflineOptions

        @Option(help: "The owner's email address.")
        var user: String

        func run() async throws {
            let configuration = try options.load()
            let email = User.normalise(email: user)
            let keys = try await OfflineDataDirectory.withStore(at: configuration.dataDirectory) { store in
                try store.read { state -> [APIKeyRecord] in
                    guard let owner = state.user(email: email) else { throw CommandFailure("no user with email \(email)") }
                    return state.activeKeys(of: owner.id)
                }
            }
            print(["id", "name", "preview", "created_at", "last_used_at"].joined(separator: "\t"))
            for key in keys {
                // Escaped: a stored name may hold tabs, line breaks or terminal control sequences.
                let columns = [
                    key.id.description, TerminalText.escaped(key.name), TerminalText.escaped(key.preview), key.createdAt.rfc3339,
                    key.lastUsedAt?.rfc3339 ?? "never",
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
            try await OfflineDataDirectory.withStore(at: configuration.dataDirectory) { store in
                try await store.commit { state, _, now -> (Mutation?, Void) in
                    guard let key = state.apiKeys[keyID] else { throw CommandFailure("no API key with id \(keyID)") }
                    guard key.isActive else { throw CommandFailure("API key \(keyID) is already revoked") }
                    return (.apiKeyRevoked(APIKeyRevocation(id: keyID, at: now)), ())
                }
            }
            print("revoked API key \(keyID)")
        }
    }
}
