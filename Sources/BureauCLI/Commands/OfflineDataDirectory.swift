import ArgumentParser
import BureauAuth
import BureauPersistence
import BureauServer
import BureauStore
import Foundation
import Logging

/// Options of the commands that change a stopped server's data directory (`users`, `keys`, `seed`).
struct OfflineOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (default: embedded defaults).")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (default: storage.data_dir, ./data).")
    var dataDirectory: String?

    /// The configuration (file, then `BUREAU_*` variables, then `--data-dir`).
    func load() throws(ConfigurationError) -> BureauConfiguration {
        var flags: [String: String] = [:]
        if let dataDirectory { flags["storage.data_dir"] = dataDirectory }
        return try BureauConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment, flags: flags)
    }
}

/// A command's refusal, printed to stderr as `Error: <description>` with a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, for the operator; never a key.
    var description: String
    /// A refusal saying `description`.
    init(_ description: String) { self.description = description }
}

/// A stopped server's data directory, opened the way `bureau serve` opens it (locked, recovered, its log
/// continued), so that an offline change is an ordinary mutation in the log.
enum OfflineDataDirectory {
    /// Logs to stderr only, so that standard output carries nothing but a command's answer.
    static let logger = Logger(label: "bureau.offline") { LineLogHandler.standardError(label: $0, level: .notice) }

    /// Locks the directory at `path` (refused while a server holds it), recovers its state, runs `body`
    /// with a store journaling to its log, then syncs and closes the log and releases the lock.
    ///
    /// - Parameter fsync: `always` for single changes; `seed` writes with `never` and syncs once at close.
    static func withStore<Output: Sendable>(
        at path: String,
        fsync: FsyncPolicy = .always,
        _ body: (BureauStore) async throws -> Output
    ) async throws -> Output {
        let directory = try DataDirectory(path: path)
        defer { directory.unlock() }
        let recovered = try Recovery.recover(directory, logger: logger)
        let journal = try LogJournal(directory: directory, recovered: recovered, options: LogJournalOptions(fsync: fsync), logger: logger)
        let store = BureauStore(state: recovered.state, journal: journal, logger: logger)
        let output: Output
        do {
            output = try await body(store)
        } catch {
            // What was committed before the failure stays committed: sync it before reporting.
            try await journal.close()
            throw Self.describe(error)
        }
        try await journal.close()
        return output
    }

    /// Like ``withStore(at:fsync:_:)``, handing `body` the domain's operations over the store, with the
    /// configuration's rules (`auth.max_keys_per_user`) and keys hashed at `bcryptCost`.
    static func withOperations<Output: Sendable>(
        _ configuration: BureauConfiguration,
        bcryptCost: Int? = nil,
        fsync: FsyncPolicy = .always,
        _ body: (Operations) async throws -> Output
    ) async throws -> Output {
        let hasher = APIKeyHasher(cost: bcryptCost ?? configuration.server.bcryptCost)
        let policy = OperationPolicy(
            maxKeysPerUser: configuration.server.maxKeysPerUser,
            sessionLifetime: configuration.server.sessionLifetime,
            maxKeyLifetimeDays: configuration.server.maxKeyLifetimeDays
        )
        return try await withStore(at: configuration.dataDirectory, fsync: fsync) { store in
            try await body(Operations(store: store, policy: policy, minter: hasher))
        }
    }

    /// A store refusal in words for the command line.
    static func describe(_ error: any Error) -> any Error {
        guard let storeError = error as? StoreError else { return error }
        switch storeError {
        case .notFound(let what): return CommandFailure("\(what) not found")
        case .forbidden(let what): return CommandFailure("\(what) belongs to another user")
        case .conflict(_, let detail): return CommandFailure(detail)
        case .unavailable(let detail): return CommandFailure(detail)
        case .invalid(let problem): return CommandFailure("refused: \(problem)")
        case .invalidInput(let problems): return CommandFailure(problems.map(\.description).joined(separator: "; "))
        case .credentialEnded: return CommandFailure("the credential this change acted for is no longer valid")
        case .insufficientScope: return CommandFailure("the key this change acted for is read-only")
        }
    }
}
