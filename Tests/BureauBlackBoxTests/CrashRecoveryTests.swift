import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the real `bureau` binary: crashes it under load, restarts it, and checks what the files hold.
@Suite("bureau binary: crash recovery and storage commands", .serialized)
struct CrashRecoveryTests {
    /// The demo key of the fixtures (a published demo value, not a secret).
    static let key = "lb_k_JRaCr6fGkBJV3jK3kcXrY1If9ooDukBANQXcSJIAZB0QY9Rt"

    /// A scratch directory with a configuration seeding one user, key and desktop.
    final class Workspace: Sendable {
        let path: String
        var dataPath: String { path + "/data" }
        var config: String { path + "/bureau.yaml" }

        init(fsync: String = "always") throws {
            path = NSTemporaryDirectory() + "bureau-blackbox-" + UUID().uuidString.lowercased()
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let yaml = """
                http:
                  host: 127.0.0.1
                storage:
                  data_dir: \(path)/data
                  fsync: \(fsync)
                auth:
                  bcrypt_cost: 4
                rate_limits:
                  general:
                    limit: 0
                seed:
                  users:
                    - email: crash@bureau.local
                      name: Crash Test
                      api_keys:
                        - name: load
                          key: \(CrashRecoveryTests.key)
                      desktops:
                        - name: target
                          status: running
                """
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: config))
        }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    static func desktopID(_ server: BureauServer) async throws -> String {
        let (status, body) = await server.request("GET", "api/desktops", key: key)
        #expect(status == 200)
        let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        let first = (object?["data"] as? [[String: Any]])?.first
        return try #require(first?["id"] as? String)
    }

    @Test("kill -9 under concurrent writes: every acknowledged write is there after restart, and the files verify")
    func killNineLoop() async throws {
        let binary = try BureauBinary.locate()
        let workspace = try Workspace()
        var acknowledged: [String: String] = [:]
        for round in 0..<3 {
            let server = try BureauServer.start(binary, config: workspace.config)
            let desktop = try await Self.desktopID(server)
            for (id, content) in acknowledged {
                let (status, body) = await server.request("GET", "api/mission-control/tasks/\(id)", key: Self.key)
                #expect(status == 200, "round \(round): acknowledged task \(id) is missing")
                #expect(String(decoding: body, as: UTF8.self).contains(content))
            }
            let acked = Acknowledged()
            let target = 40
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var n = 0
                        while true {
                            let content = "round \(round) writer \(writer) task \(n)"
                            let (status, body) = await server.request(
                                "POST",
                                "api/mission-control/tasks",
                                key: Self.key,
                                json: ["type": "prompt", "content": content, "desktopId": desktop]
                            )
                            guard status == 201 else { return }
                            let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
                            guard let id = object?["id"] as? String else { return }
                            let count = acked.record(id, content)
                            // Crash in the middle of the load: the other writers are still in flight.
                            if count == target { server.child.send(SIGKILL) }
                            n += 1
                        }
                    }
                }
            }
            let (status, _) = server.stop(signal: SIGKILL)
            #expect(status != 0)
            acknowledged.merge(acked.all) { first, _ in first }
            #expect(acked.all.count >= target)
        }

        let server = try BureauServer.start(binary, config: workspace.config)
        for (id, content) in acknowledged {
            let (status, body) = await server.request("GET", "api/mission-control/tasks/\(id)", key: Self.key)
            #expect(status == 200, "acknowledged task \(id) is missing after the last crash")
            #expect(String(decoding: body, as: UTF8.self).contains(content))
        }
        let (stopStatus, log) = server.stop(signal: SIGTERM)
        #expect(stopStatus == 0, "graceful stop: \(log)")
        let verify = try binary.run(["data", "verify", workspace.dataPath])
        #expect(verify.status == 0, "\(verify.error)")
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: workspace.dataPath).filter { $0.hasSuffix(".snap") }
        #expect(!snapshots.isEmpty, "the graceful stop wrote a snapshot")
    }

    @Test("snapshot inspect, verify, export and restore; data verify; a second server on the same directory is refused")
    func storageCommands() async throws {
        let binary = try BureauBinary.locate()
        let workspace = try Workspace()
        let server = try BureauServer.start(binary, config: workspace.config)
        let desktop = try await Self.desktopID(server)
        let (created, body) = await server.request(
            "POST",
            "api/mission-control/tasks",
            key: Self.key,
            json: ["type": "prompt", "content": "kept in the snapshot", "desktopId": desktop]
        )
        #expect(created == 201)
        let id = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["id"] as? String)

        let second = try binary.run(["serve", "--config", workspace.config, "--port", "0"])
        #expect(second.status != 0)
        #expect(second.error.contains(workspace.dataPath) && second.error.contains("in use"))
        #expect(server.stop(signal: SIGTERM).status == 0)

        let snapshot = try #require(
            try FileManager.default.contentsOfDirectory(atPath: workspace.dataPath).first { $0.hasSuffix(".snap") }
        )
        let snapshotPath = workspace.dataPath + "/" + snapshot
        let inspect = try binary.run(["snapshot", "inspect", snapshotPath])
        #expect(inspect.status == 0 && inspect.output.contains("tasks: 1") && inspect.output.contains("users: 1"))
        #expect(try binary.run(["snapshot", "verify", snapshotPath]).status == 0)
        let export = try binary.run(["snapshot", "export", snapshotPath])
        #expect(export.status == 0 && export.output.contains("kept in the snapshot") && export.output.contains("$2b$04$"))
        #expect(!export.output.contains(Self.key))
        #expect(!export.output.contains("millisecondsSinceEpoch") && export.output.contains("\"createdAt\" : \"20"))
        let exportFile = workspace.path + "/export.json"
        #expect(try binary.run(["snapshot", "export", snapshotPath, "--output", exportFile]).status == 0)
        #expect(try String(contentsOfFile: exportFile, encoding: .utf8) == export.output)
        let mode = try FileManager.default.attributesOfItem(atPath: exportFile)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(try binary.run(["snapshot", "export", snapshotPath, "--output", exportFile]).status != 0, "an existing file is not overwritten")
        #expect(try binary.run(["data", "verify", workspace.dataPath]).status == 0)

        let restored = workspace.path + "/restored"
        #expect(try binary.run(["snapshot", "restore", snapshotPath, "--data-dir", restored]).status == 0)
        let refused = try binary.run(["snapshot", "restore", snapshotPath, "--data-dir", restored])
        #expect(refused.status != 0 && refused.error.contains("not empty"))
        #expect(try binary.run(["snapshot", "restore", snapshotPath, "--data-dir", restored, "--force"]).status == 0)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: snapshotPath))
        bytes[bytes.count - 10] ^= 0x20
        let damaged = workspace.path + "/damaged.snap"
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let bad = try binary.run(["snapshot", "verify", damaged])
        #expect(bad.status != 0 && bad.error.contains("checksum"))

        // The restored directory serves the same task.
        let yaml = try String(contentsOfFile: workspace.config, encoding: .utf8).replacingOccurrences(of: workspace.dataPath, with: restored)
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: workspace.config))
        let again = try BureauServer.start(binary, config: workspace.config)
        #expect(await again.request("GET", "api/mission-control/tasks/\(id)", key: Self.key).status == 200)
        #expect(again.stop(signal: SIGTERM).status == 0)
    }
}

/// The writes the server acknowledged (task id → content), shared by the writers.
final class Acknowledged: Sendable {
    private let tasks = Mutex<[String: String]>([:])

    /// Records one acknowledged task; returns how many there are now.
    func record(_ id: String, _ content: String) -> Int {
        tasks.withLock { tasks in
            tasks[id] = content
            return tasks.count
        }
    }

    var all: [String: String] { tasks.withLock { $0 } }
}
