import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `bureau users`, `keys` and `seed` against a stopped server's data directory, then serves it.
@Suite("bureau binary: offline users, keys and seed commands", .serialized)
struct OfflineCommandsTests {
    /// A scratch directory with a configuration (no seed section) pointing at `data/`.
    final class Workspace: Sendable {
        let path: String
        var dataPath: String { path + "/data" }
        var config: String { path + "/bureau.yaml" }

        init() throws {
            path = NSTemporaryDirectory() + "bureau-offline-" + UUID().uuidString.lowercased()
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let yaml = """
                http:
                  host: 127.0.0.1
                storage:
                  data_dir: \(path)/data
                auth:
                  bcrypt_cost: 4
                rate_limits:
                  general:
                    limit: 0
                """
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: config))
        }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
        }

        /// Every byte of every file under the data directory.
        func dataBytes() throws -> Data {
            var all = Data()
            let enumerator = FileManager.default.enumerator(atPath: dataPath)
            while let name = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let path = dataPath + "/" + name
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    all.append(try Data(contentsOf: URL(fileURLWithPath: path)))
                }
            }
            return all
        }
    }

    @Test("users add, keys create|list|revoke: the created key authenticates against bureau serve until revoked")
    func usersAndKeys() async throws {
        let binary = try BureauBinary.locate()
        let workspace = try Workspace()
        let config = ["--config", workspace.config]

        let added = try binary.run(["users", "add", "--email", " Ops@Example.COM ", "--name", "Ops"] + config)
        #expect(added.status == 0, "\(added.error)")
        #expect(added.output.contains("ops@example.com"))
        let duplicate = try binary.run(["users", "add", "--email", "ops@example.com"] + config)
        #expect(duplicate.status != 0 && duplicate.error.contains("already exists"))
        let invalid = try binary.run(["users", "add", "--email", "not an email"] + config)
        #expect(invalid.status != 0 && invalid.error.contains("--email must be an email address"))
        let unknownUser = try binary.run(["keys", "create", "--user", "nobody@example.com", "--name", "x"] + config)
        #expect(unknownUser.status != 0 && unknownUser.error.contains("no user"))

        let created = try binary.run(["keys", "create", "--user", "ops@example.com", "--name", "deploy"] + config)
        #expect(created.status == 0, "\(created.error)")
        let key = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("lb_k_") && key.count == 53 && !key.contains("\n"))
        #expect(!created.error.contains(key))

        let listed = try binary.run(["keys", "list", "--user", "ops@example.com"] + config)
        #expect(listed.status == 0, "\(listed.error)")
        let lines = listed.output.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("id\tname\tpreview"))
        let columns = lines.last.map { $0.split(separator: "\t").map(String.init) } ?? []
        #expect(
            columns.count == 7 && columns[1] == "deploy" && columns[2] == "lb_k_..." + key.suffix(4) && columns[4] == "never"
                && columns[5] == "never" && columns[6] == "full"
        )
        #expect(!listed.output.contains(key))
        let keyID = try #require(columns.first)
        #expect(try !workspace.dataBytes().contains(Data(key.utf8)), "no plaintext key in the data directory")

        let server = try BureauServer.start(binary, config: workspace.config)
        #expect(await server.request("GET", "api/desktops", key: key).status == 200)
        #expect(server.stop(signal: SIGTERM).status == 0)

        let revoked = try binary.run(["keys", "revoke", keyID] + config)
        #expect(revoked.status == 0, "\(revoked.error)")
        let again = try binary.run(["keys", "revoke", keyID] + config)
        #expect(again.status != 0 && again.error.contains("already revoked"))
        let unknown = try binary.run(["keys", "revoke", UUID().uuidString.lowercased()] + config)
        #expect(unknown.status != 0 && unknown.error.contains("no API key"))
        let notAnID = try binary.run(["keys", "revoke", key] + config)
        #expect(notAnID.status != 0 && !notAnID.error.contains(key) && !notAnID.output.contains(key))
        #expect(try binary.run(["keys", "list", "--user", "ops@example.com"] + config).output.split(separator: "\n").count == 1)

        let restarted = try BureauServer.start(binary, config: workspace.config)
        #expect(await restarted.request("GET", "api/desktops", key: key).status == 401)
        #expect(restarted.stop(signal: SIGTERM).status == 0)
        #expect(try binary.run(["data", "verify", workspace.dataPath]).status == 0)
    }

    @Test("keys create --expires-in DAYS --scope read: expiry and scope show in keys list; bad values name the flag")
    func keysWithExpiry() throws {
        let binary = try BureauBinary.locate()
        let workspace = try Workspace()
        let config = ["--config", workspace.config]
        #expect(try binary.run(["users", "add", "--email", "ops@example.com"] + config).status == 0)
        let before = Date()
        let created = try binary.run(
            ["keys", "create", "--user", "ops@example.com", "--name", "weekly", "--expires-in", "7", "--scope", "read"] + config
        )
        #expect(created.status == 0, "\(created.error)")
        let listed = try binary.run(["keys", "list", "--user", "ops@example.com"] + config)
        let columns = listed.output.split(separator: "\n").last.map { $0.split(separator: "\t").map(String.init) } ?? []
        #expect(listed.output.split(separator: "\n").first?.hasSuffix("\texpires_at\tscope") == true)
        #expect(columns.last == "read")
        let expiry = try #require(columns.count == 7 ? ISO8601DateFormatter.withMilliseconds.date(from: columns[5]) : nil, "\(listed.output)")
        let days = (expiry.timeIntervalSince1970 - before.timeIntervalSince1970) / 86_400
        #expect(days > 6.99 && days < 7.01, "\(days)")

        let badScope = try binary.run(["keys", "create", "--user", "ops@example.com", "--name", "x", "--scope", "admin"] + config)
        #expect(badScope.status != 0 && badScope.error.contains("--scope must be one of: full, read"), "\(badScope.error)")
        for bad in ["0", "36501"] {
            let refused = try binary.run(["keys", "create", "--user", "ops@example.com", "--name", "x", "--expires-in", bad] + config)
            #expect(refused.status != 0 && refused.error.contains("--expires-in must be"), "\(refused.error)")
        }
        let cappedConfig = workspace.path + "/capped.yaml"
        let yaml = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(of: "  bcrypt_cost: 4", with: "  bcrypt_cost: 4\n  max_key_lifetime_days: 30")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: cappedConfig))
        let capped = try binary.run(["keys", "create", "--user", "ops@example.com", "--name", "x", "--expires-in", "31", "--config", cappedConfig])
        #expect(capped.status != 0 && capped.error.contains("--expires-in must be at most 30 days ahead"), "\(capped.error)")
    }

    @Test("every offline command is refused while bureau serve holds the data directory")
    func refusedWhileServing() async throws {
        let binary = try BureauBinary.locate()
        let workspace = try Workspace()
        let config = ["--config", workspace.config]
        #expect(try binary.run(["users", "add", "--email", "a@example.com"] + config).status == 0)
        let server = try BureauServer.start(binary, config: workspace.config)
        let commands: [[String]] = [
            ["users", "add", "--email", "b@example.com"],
            ["keys", "create", "--user", "a@example.com", "--name", "k"],
            ["keys", "list", "--user", "a@example.com"],
            ["keys", "revoke", UUID().uuidString.lowercased()],
            ["seed", "--users", "1", "--keys-per-user", "1", "--out", workspace.path + "/keys.txt", "--force"],
        ]
        for command in commands {
            let outcome = try binary.run(command + config)
            #expect(outcome.status != 0, "\(command) ran while the server held the directory")
            #expect(outcome.error.contains("in use"), "\(command): \(outcome.error)")
            #expect(outcome.output.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/keys.txt"))
        #expect(server.stop(signal: SIGTERM).status == 0)
    }

    @Test("seed writes a 0600 keys file whose keys authenticate; refuses a non-empty directory and an existing file")
    func seed() async throws {
        let binary = try BureauBinary.locate()
        let workspace = try Workspace()
        let config = ["--config", workspace.config]
        let keysFile = workspace.path + "/keys.txt"
        // A permissive umask must not widen the file's mode.
        let previousMask = umask(0)
        defer { umask(previousMask) }
        let seeded = try binary.run(
            ["seed", "--users", "3", "--keys-per-user", "2", "--desktops-per-user", "2", "--tasks-per-desktop", "3", "--out", keysFile]
                + ["--bcrypt-cost", "4"] + config
        )
        #expect(seeded.status == 0, "\(seeded.error)")
        let attributes = try FileManager.default.attributesOfItem(atPath: keysFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let keys = try String(contentsOfFile: keysFile, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(keys.count == 6 && Set(keys).count == 6 && keys.allSatisfy { $0.hasPrefix("lb_k_") && $0.count == 53 })
        for key in keys { #expect(!seeded.output.contains(key) && !seeded.error.contains(key)) }
        let data = try workspace.dataBytes()
        #expect(keys.allSatisfy { !data.contains(Data($0.utf8)) }, "no plaintext key in the data directory")

        let refused = try binary.run(["seed", "--users", "1", "--keys-per-user", "1", "--out", workspace.path + "/more.txt"] + config)
        #expect(refused.status != 0 && refused.error.contains("--force"))
        let existing = try binary.run(["seed", "--users", "1", "--keys-per-user", "1", "--out", keysFile, "--force"] + config)
        #expect(existing.status != 0 && existing.error.contains("already exists"))
        let clash = try binary.run(["seed", "--users", "1", "--keys-per-user", "1", "--out", workspace.path + "/more.txt", "--force"] + config)
        #expect(clash.status != 0 && clash.error.contains("user1@seed.test"))
        let forced = try binary.run(
            ["seed", "--users", "1", "--keys-per-user", "1", "--out", workspace.path + "/more.txt", "--force", "--email-domain", "more.test"]
                + config
        )
        #expect(forced.status == 0, "\(forced.error)")

        let server = try BureauServer.start(binary, config: workspace.config)
        for key in [keys[0], keys[5]] {
            let (status, body) = await server.request("GET", "api/desktops", key: key)
            #expect(status == 200)
            let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect((object?["data"] as? [[String: Any]])?.count == 2)
        }
        #expect(await server.request("GET", "api/mission-control/tasks", key: keys[2]).status == 200)
        #expect(server.stop(signal: SIGTERM).status == 0)
    }

    @Test("every offline command has --help", arguments: [["users", "add"], ["keys", "create"], ["keys", "list"], ["keys", "revoke"], ["seed"]])
    func help(command: [String]) throws {
        let outcome = try BureauBinary.locate().run(command + ["--help"])
        #expect(outcome.status == 0 && outcome.output.contains("USAGE: bureau \(command.joined(separator: " "))"))
    }
}

extension ISO8601DateFormatter {
    /// Reads the RFC 3339 times with milliseconds that Bureau prints.
    static var withMilliseconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
