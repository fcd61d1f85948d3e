import ArgumentParser
import BureauPersistence

/// `bureau data verify DIR`: check a whole data directory without changing it.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Work with data directories.",
        subcommands: [Verify.self]
    )

    /// `bureau data verify [DIR]`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every snapshot and log record of a data directory; exits non-zero with the first problem.",
            discussion: """
                Nothing is changed. A torn log tail is reported as a problem (the server cuts it, keeping the \
                bytes in a .broken file, when it starts). Run it on a stopped server's directory: a running \
                server may be in the middle of a write.
                """
        )

        @Argument(help: "The data directory (default: --data-dir, then ./data).")
        var directory: String?

        @Option(name: .customLong("data-dir"), help: "The data directory.")
        var dataDirectory: String = "./data"

        func run() async throws {
            let path = directory ?? dataDirectory
            let report = try StorageTools.verifyDataDirectory(at: path)
            print(TerminalText.escapedLines(report.description))
            print("\(TerminalText.escaped(path)): OK")
        }
    }
}
