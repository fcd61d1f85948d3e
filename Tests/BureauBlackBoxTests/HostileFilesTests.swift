import BureauPersistence
import BureauStore
import Foundation
import Logging
import Testing

/// Files an attacker crafted (a snapshot, a data directory holding names no API would accept) given to the
/// real binary: refused with a message, or printed escaped, never a crash or raw bytes on a terminal.
@Suite("bureau binary: hostile files and names")
struct HostileFilesTests {
    /// A scratch directory, removed afterwards.
    final class Scratch: Sendable {
        let path: String

        init() throws {
            path = NSTemporaryDirectory() + "bureau-hostile-" + UUID().uuidString.lowercased()
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// Writes `bytes` to `name` in the directory; returns its path.
        func write(_ bytes: [UInt8], to name: String) throws -> String {
            let file = path + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            return file
        }
    }

    static let validTime = Timestamp(millisecondsSinceEpoch: 1_795_341_600_000)

    /// A snapshot of one user whose header (checksum recomputed, so it looks intact) says it was written
    /// at `headerTime`, the user created at `userTime`.
    static func craftedSnapshot(headerTime: Int64, userTime: Int64) throws -> [UInt8] {
        let user = User(id: .random(), email: "a@example.com", name: "A", createdAt: Timestamp(millisecondsSinceEpoch: userTime))
        let records = StateRecords(sequence: 1, users: [user], apiKeys: [], desktops: [], tasks: [], idempotency: [])
        let (header, bytes) = try SnapshotFile.encode(records, createdAt: validTime)
        var crafted = header
        crafted.createdAt = Timestamp(millisecondsSinceEpoch: headerTime)
        return crafted.bytes + bytes[header.size...]
    }

    /// Whether `text` holds a character a terminal would obey or hide rather than show (line feeds and
    /// the tabs between columns aside).
    static func holdsRawControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            guard scalar != "\n", scalar != "\t" else { return false }
            return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
                || (0x2066...0x2069).contains(scalar.value)
        }
    }

    @Test("a snapshot whose header time is near Int64.min is refused by verify and inspect, with a message, no crash")
    func craftedHeaderTime() throws {
        let binary = try BureauBinary.locate()
        let scratch = try Scratch()
        let file = try scratch.write(
            try Self.craftedSnapshot(headerTime: Int64.min + 1, userTime: Self.validTime.millisecondsSinceEpoch),
            to: "crafted.snap"
        )
        for command in ["verify", "inspect", "export"] {
            let outcome = try binary.run(["snapshot", command, file])
            #expect(outcome.status == 1, "snapshot \(command) exits with an error, not a signal: \(outcome.status)")
            #expect(outcome.error.contains("outside years 0000 to 9999"), "snapshot \(command): \(outcome.error)")
            #expect(outcome.output.isEmpty)
        }
        let restore = try binary.run(["snapshot", "restore", file, "--data-dir", scratch.path + "/restored"])
        #expect(restore.status == 1 && restore.error.contains("outside years 0000 to 9999"), "\(restore.error)")
    }

    @Test("a snapshot whose records hold a time near Int64.min is refused by verify, export and restore")
    func craftedRecordTime() throws {
        let binary = try BureauBinary.locate()
        let scratch = try Scratch()
        let file = try scratch.write(
            try Self.craftedSnapshot(headerTime: Self.validTime.millisecondsSinceEpoch, userTime: Int64.min),
            to: "crafted.snap"
        )
        for arguments in [["verify", file], ["export", file], ["restore", file, "--data-dir", scratch.path + "/restored"]] {
            let outcome = try binary.run(["snapshot"] + arguments)
            #expect(outcome.status == 1, "snapshot \(arguments[0]) exits with an error, not a signal: \(outcome.status)")
            #expect(outcome.error.contains("outside years 0000 to 9999"), "snapshot \(arguments[0]): \(outcome.error)")
        }
        // Its header is sound, so inspect shows it (inspect reads nothing else).
        #expect(try binary.run(["snapshot", "inspect", file]).status == 0)
    }

    @Test("keys list prints a stored key name holding ESC and BEL sequences escaped, never the raw bytes")
    func controlCharactersInKeyName() async throws {
        let binary = try BureauBinary.locate()
        let scratch = try Scratch()
        let dataPath = scratch.path + "/data"
        let hostile = "deploy\u{1B}]0;owned\u{07}\u{1B}[2J\u{1B}[31m\u{9B}1m\u{7F}\u{202E}gpj.exe\r\n"
        // Written through the persistence layer: the API and the domain refuse such a name.
        let user = User(id: .random(), email: "ops@example.com", name: "Ops\u{1B}[5m", createdAt: Self.validTime)
        let key = APIKeyRecord(
            id: .random(),
            userID: user.id,
            name: hostile,
            lookupID: "AbCdEfGhIjKl",
            secretHash: "$2b$04$" + String(repeating: "x", count: 53),
            lastFour: "\u{1B}[0m",
            createdAt: Self.validTime
        )
        let directory = try DataDirectory(path: dataPath)
        let logger = Logger(label: "test")
        let journal = try LogJournal(directory: directory, recovered: try Recovery.recover(directory, logger: logger), logger: logger)
        try journal.append(.userCreated(user), sequence: 1)
        try journal.append(.apiKeyCreated(key), sequence: 2)
        try await journal.close()
        directory.unlock()

        let listed = try binary.run(["keys", "list", "--user", "ops@example.com", "--data-dir", dataPath])
        #expect(listed.status == 0, "\(listed.error)")
        #expect(!Self.holdsRawControl(listed.output), "\(listed.output.debugDescription)")
        #expect(listed.output.contains("deploy\\u{1B}]0;owned\\u{7}\\u{1B}[2J"))
        #expect(listed.output.contains("\\u{202E}gpj.exe\\u{D}\\u{A}"))
        let lines = listed.output.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].split(separator: "\t").count == 7, "one line, seven columns")

        // An error quoting input holding ESC is escaped too.
        let unknown = try binary.run(["keys", "list", "--user", "x\u{1B}]0;t\u{07}@example.com", "--data-dir", dataPath])
        #expect(unknown.status == 1 && unknown.error.contains("x\\u{1B}]0;t\\u{7}@example.com"), "\(unknown.error)")
        #expect(!Self.holdsRawControl(unknown.error))
    }
}
