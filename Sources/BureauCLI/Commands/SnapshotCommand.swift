import ArgumentParser
import BureauPersistence
import Foundation

/// `bureau snapshot inspect|verify|export|restore`: work with snapshot files (a snapshot file alone is a
/// complete backup).
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Inspect, verify, export and restore snapshot files.",
        subcommands: [Inspect.self, Verify.self, Export.self, Restore.self]
    )

    /// `bureau snapshot inspect FILE`.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a snapshot's header: format version, sequence, records per kind, sizes."
        )

        @Argument(help: "The snapshot file.")
        var file: String

        func run() async throws {
            print(TerminalText.escapedLines(try StorageTools.inspectSnapshot(at: file).description))
        }
    }

    /// `bureau snapshot verify FILE`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every checksum, size and record of a snapshot; exits non-zero with the first problem."
        )

        @Argument(help: "The snapshot file.")
        var file: String

        func run() async throws {
            let summary = try StorageTools.verifySnapshot(at: file)
            print("\(TerminalText.escaped(file)): OK (sequence \(summary.header.sequence); \(summary.header.counts))")
        }
    }

    /// `bureau snapshot export FILE`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the state in a snapshot as JSON (key hashes included; no plaintext key is ever stored).",
            discussion:
                "The snapshot is verified first. With --output, the JSON goes to a new file (an existing one is refused), created readable by its owner only."
        )

        @Argument(help: "The snapshot file.")
        var file: String

        @Option(name: .shortAndLong, help: "Write the JSON to this file instead of standard output.")
        var output: String?

        func run() async throws {
            let json = try StorageTools.exportSnapshot(at: file)
            guard let output else {
                FileHandle.standardOutput.write(Data((TerminalText.escapedJSON(String(decoding: json, as: UTF8.self)) + "\n").utf8))
                return
            }
            let file = try PrivateFile(creating: output)
            try file.append(String(decoding: json, as: UTF8.self) + "\n")
            try file.finish()
        }
    }

    /// `bureau snapshot restore FILE --data-dir DIR`.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a data directory start from a snapshot.",
            discussion: """
                The snapshot is verified, then copied into the data directory, which must not be in use by a \
                server. A directory with files in it is refused unless --force is given: its files are then \
                moved into a replaced-<time> folder inside it, not deleted.
                """
        )

        @Argument(help: "The snapshot file.")
        var file: String

        @Option(name: .customLong("data-dir"), help: "The data directory to restore into.")
        var dataDirectory: String = "./data"

        @Flag(help: "Restore into a non-empty directory, moving its files aside first.")
        var force = false

        func run() async throws {
            let outcome = try StorageTools.restoreSnapshot(at: file, into: dataDirectory, force: force)
            if let aside = outcome.movedAsideTo {
                print("moved the previous files of \(TerminalText.escaped(dataDirectory)) to \(TerminalText.escaped(dataDirectory))/\(aside)")
            }
            print("restored sequence \(outcome.summary.header.sequence) into \(TerminalText.escaped(dataDirectory))/\(outcome.file)")
        }
    }
}
