import BureauAuth
import BureauPersistence
import BureauStore
import Logging
import Synchronization

/// A data directory opened as the server opens it: locked, recovered, with a log journal and a store.
struct StorageHarness {
    let directory: DataDirectory
    let recovered: RecoveredState
    let journal: LogJournal
    let store: BureauStore
    let fatalErrors: FatalErrors

    static let logger = Logger(label: "bureau.persistence.tests") { _ in SwiftLogNoOpLogHandler() }

    /// Opens (and recovers) the directory at `path` through `fileSystem`.
    static func open(
        _ path: String,
        fileSystem: any FileSystem = POSIXFileSystem(),
        options: LogJournalOptions = LogJournalOptions()
    ) throws -> StorageHarness {
        let directory = try DataDirectory(path: path, fileSystem: fileSystem)
        let recovered = try Recovery.recover(directory, logger: logger)
        let fatal = FatalErrors()
        let journal = try LogJournal(directory: directory, recovered: recovered, options: options, logger: logger) { error in
            fatal.record(error)
        }
        return StorageHarness(
            directory: directory,
            recovered: recovered,
            journal: journal,
            store: BureauStore(state: recovered.state, journal: journal, logger: logger),
            fatalErrors: fatal
        )
    }

    /// Commits `mutation` through the store.
    func commit(_ mutation: Mutation) async throws {
        try await store.commit { _, _, _ in (mutation, ()) }
    }

    /// Commits each mutation in order.
    func commit(_ mutations: [Mutation]) async throws {
        for mutation in mutations { try await commit(mutation) }
    }

    /// A snapshotter for this directory.
    /// Signs people in on this store, through the domain's operations.
    var issuer: SessionIssuer {
        SessionIssuer(operations: Operations(store: store, minter: APIKeyHasher(cost: 4)))
    }

    func snapshotter(keep: Int = 2) -> Snapshotter {
        Snapshotter(directory: directory, journal: journal, keep: keep, logger: Self.logger)
    }

    /// Closes the journal and releases the lock, as a shutdown does.
    func close() async throws {
        try await journal.close()
        directory.unlock()
    }
}

/// What a journal's fatal handler was told (instead of exiting the test process).
final class FatalErrors: Sendable {
    private let errors = Mutex<[StorageError]>([])

    func record(_ error: StorageError) { errors.withLock { $0.append(error) } }

    var count: Int { errors.withLock { $0.count } }
}
