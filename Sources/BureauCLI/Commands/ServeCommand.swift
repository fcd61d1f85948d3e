import ArgumentParser
import BureauPersistence
import BureauServer
import BureauSignIn
import BureauStore
import Foundation
import Hummingbird
import Logging
import UnixSignals

/// `bureau serve`: run the server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server.",
        discussion: """
            Configuration comes from, in order of precedence: flags, BUREAU_* environment variables \
            (BUREAU_HTTP_PORT for http.port), the --config file, embedded defaults. Every key is also a \
            flag: http.max_body_bytes is --http-max-body-bytes; client secrets excepted, which come from \
            BUREAU_* variables or a client_secret_file only.
            """
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(help: "Address to listen on (http.host).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (http.port).")
    var port: Int?

    func run() async throws {
        var extra: [String: String] = [:]
        if let host { extra["http.host"] = host }
        if let port { extra["http.port"] = String(port) }
        let configuration = try options.load(extra: extra)
        let level = configuration.logLevel
        // Every line goes through one writer thread, in batches; request lines are formatted there too.
        let writer = LogWriter(format: configuration.logFormat)
        defer { writer.close() }
        LoggingSystem.bootstrap { [format = configuration.logFormat] label in
            LineLogHandler(label: label, level: level, format: format, metadataProvider: LoggingSystem.metadataProvider) {
                writer.enqueue(.line($0))
            }
        }
        let logger = Logger(label: "bureau")
        let metrics = ServerMetrics()
        metrics.counter("bureau_log_dropped_entries_total") { writer.droppedEntries }

        HeapThresholds.pin()
        // Recovery comes first: the server binds only once the state is rebuilt from the data directory.
        let storageLogger = Logger(label: "bureau.storage")
        let recoveryStarted = ContinuousClock.now
        let directory = try DataDirectory(path: configuration.dataDirectory)
        let recovered = try Recovery.recover(directory, activityCapacity: configuration.replayEvents, logger: storageLogger)
        let recoveryDuration = ContinuousClock.now - recoveryStarted
        HeapThresholds.trim()
        logger.info(
            "recovered the data directory",
            metadata: [
                "data_dir": "\(configuration.dataDirectory)", "sequence": "\(recovered.state.sequence)",
                "snapshot": "\(recovered.snapshot.map { String($0.sequence) } ?? "none")", "replayed": "\(recovered.replayedRecords)",
                "duration_ms": "\(recoveryDuration.milliseconds)",
            ]
        )
        let journal = try LogJournal(
            directory: directory,
            recovered: recovered,
            options: LogJournalOptions(fsync: FsyncPolicy(rawValue: configuration.fsync) ?? .always),
            logger: storageLogger,
            metrics: LogJournalMetrics(factory: metrics.factory)
        )
        let store = BureauStore(state: recovered.state, journal: journal, logger: Logger(label: "bureau.store"))
        // The client that talks to sign-in providers exists only when one is configured; the service group
        // shuts it down once the server has stopped.
        var providerClient: ProviderHTTPClient?
        var signIn: ProviderSignIn?
        if !configuration.signIn.providers.isEmpty {
            let client = ProviderHTTPClient(timeout: configuration.signIn.timeout, maxResponseBytes: configuration.signIn.maxResponseBytes)
            providerClient = client
            signIn = ProviderSignIn(settings: configuration.signIn, client: client, logger: Logger(label: "bureau.sign-in"))
        }
        let services = BureauServices(
            store: store,
            settings: configuration.server,
            isWritable: { journal.isWritable },
            requestLog: WriterRequestLog(writer: writer),
            metrics: metrics,
            signIn: signIn
        )
        let snapshots = SnapshotService(
            snapshotter: Snapshotter(directory: directory, journal: journal, logger: storageLogger),
            journal: journal,
            currentState: { store.copyState() },
            interval: .seconds(configuration.snapshotIntervalSeconds),
            logBytes: UInt64(configuration.snapshotLogBytes),
            clock: ContinuousClock(),
            logger: storageLogger,
            metrics: metrics.factory
        )
        do {
            if let seed = configuration.seed, try await Seeder(operations: services.operations).apply(seed) {
                logger.info("seeded an empty store", metadata: ["users": "\(seed.users.count)"])
            }
        } catch {
            try? await providerClient?.shutdown()
            throw error
        }
        let host = configuration.server.host
        // The journal first: services stop in reverse order, so it syncs and closes after the server has
        // drained and the final snapshot is written.
        let app = buildApplication(services, logger: logger, extraServices: [journal, snapshots] + (providerClient.map { [$0] } ?? [])) { boundPort in
            let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort)"
            logger.notice("serving", metadata: ["url": "\(url)"])
            // Unbuffered, so scripts and tests that start the binary see it at once.
            FileHandle.standardOutput.write(Data("Bureau is serving on \(TerminalText.escaped(url))\n".utf8))
        }
        // SIGTERM or SIGINT starts the graceful shutdown (stop accepting, let requests in progress finish
        // within http.shutdown_grace_seconds, end the streams, final snapshot, exit 0); a second one
        // while it runs exits at once. Every acknowledged write is already in the log.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let secondSignal = Task {
            var seen = 0
            for await signal in signals {
                seen += 1
                guard seen > 1 else { continue }
                logger.warning("second signal during shutdown: exiting at once", metadata: ["signal": "\(signal)"])
                writer.close()
                Foundation.exit(128 + signal.rawValue)
            }
        }
        defer { secondSignal.cancel() }
        try await app.runService()
        directory.unlock()
    }
}
