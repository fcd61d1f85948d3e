import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("bureau binary", .serialized)
struct ServeCommandTests {
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bureau-blackbox-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("serve on the demo config: prints its URL, answers with the seeded key, stops cleanly on SIGTERM")
    func serveDemo() async throws {
        let server = try BureauProcess(serve: [
            "--config", BureauProcess.fixtures.appendingPathComponent("demo.yaml").path, "--data-dir", Self.temporaryDirectory(),
        ])
        let (health, _) = try await server.request("GET", "healthz")
        #expect(health == 200)
        let (status, body) = try await server.request("GET", "api/desktops", headers: ["x-api-key": BureauProcess.demoKey])
        #expect(status == 200)
        #expect(body.contains("Demo desktop"))
        let (unauthorized, _) = try await server.request("GET", "api/desktops", headers: ["x-api-key": "lb_k_wrong"])
        #expect(unauthorized == 401)
        #expect(server.stop() == 0)
        let logs = server.standardError()
        #expect(!logs.contains(BureauProcess.demoKey))
    }

    @Test(
        "log.format json: every line is one JSON object; a request's line carries its x-request-id, route, user, credential kind and client, never the key"
    )
    func jsonLogs() async throws {
        let server = try BureauProcess(
            serve: ["--config", BureauProcess.fixtures.appendingPathComponent("demo.yaml").path, "--data-dir", Self.temporaryDirectory()],
            environment: ["BUREAU_LOG_FORMAT": "json"]
        )
        var request = URLRequest(url: server.baseURL!.appendingPathComponent("api/desktops"))
        request.setValue(BureauProcess.demoKey, forHTTPHeaderField: "x-api-key")
        let (_, response) = try await URLSession.shared.data(for: request)
        let requestID = try #require((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "x-request-id"))
        var streamURL = URLComponents(url: server.baseURL!.appendingPathComponent("api/desktops"), resolvingAgainstBaseURL: false)!
        streamURL.queryItems = [URLQueryItem(name: "apiKey", value: BureauProcess.demoKey)]
        _ = try await URLSession.shared.data(from: streamURL.url!)
        #expect(server.stop() == 0)
        let lines = server.standardError().split(separator: "\n")
        #expect(lines.count >= 4)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { objects.append(object) }
            #expect(!line.contains(BureauProcess.demoKey.dropFirst(5)))
        }
        let logged = try #require(objects.first { $0["request_id"] as? String == requestID })
        #expect(logged["message"] as? String == "request" && logged["level"] as? String == "info")
        #expect(logged["method"] as? String == "GET" && logged["route"] as? String == "/api/desktops" && logged["status"] as? Int == 200)
        #expect(logged["auth_method"] as? String == "api_key" && logged["client"] as? String == "127.0.0.1")
        #expect((logged["user_id"] as? String)?.count == 36 && logged["duration_ms"] is Double)
        #expect((logged["time"] as? String)?.hasSuffix("Z") == true)
        #expect(objects.contains { ($0["message"] as? String)?.contains("snapshot") == true || $0["label"] as? String == "bureau.storage" })
    }

    @Test("serve with no file at all runs on the embedded defaults, overridden by BUREAU_* and flags")
    func embeddedDefaults() async throws {
        let server = try BureauProcess(serve: ["--data-dir", Self.temporaryDirectory()], environment: ["BUREAU_HTTP_MAX_BODY_BYTES": "2048"])
        let (health, _) = try await server.request("GET", "healthz")
        #expect(health == 200)
        #expect(server.baseURL?.host == "127.0.0.1")
        #expect(server.stop() == 0)
    }

    @Test("a bad value stops start-up with a message naming the key and a non-zero exit")
    func badConfiguration() throws {
        let badPort = try BureauProcess.run(["serve", "--http-max-body-bytes", "tiny"])
        #expect(badPort.status != 0)
        #expect(badPort.stderr.contains("http.max_body_bytes"))
        let badVariable = try BureauProcess.run(["serve"], environment: ["BUREAU_STORAGE_FSYNC": "sometimes"])
        #expect(badVariable.status != 0)
        #expect(badVariable.stderr.contains("storage.fsync"))
        let unknownFlag = try BureauProcess.run(["serve", "--htp-port", "1"])
        #expect(unknownFlag.status != 0)
        #expect(unknownFlag.stderr.contains("--htp-port"))
    }

    @Test("config check accepts the demo file and names the bad key of a broken one")
    func configCheck() throws {
        let good = try BureauProcess.run(["config", "check", BureauProcess.fixtures.appendingPathComponent("demo.yaml").path])
        #expect(good.status == 0)
        #expect(!good.stdout.contains("lb_k_"))
        let path = Self.temporaryDirectory() + "/broken.yaml"
        try "http:\n  port: 80\n  hots: x\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try BureauProcess.run(["config", "check", path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("http.hots"))
        let seedPath = Self.temporaryDirectory() + "/seed.yaml"
        try "seed:\n  users:\n    - email: a@b.c\n      api_keys:\n        - name: k\n          key: lb_k_notavalidkey\n"
            .write(toFile: seedPath, atomically: true, encoding: .utf8)
        let badSeed = try BureauProcess.run(["config", "check", seedPath])
        #expect(badSeed.status != 0)
        #expect(!badSeed.stderr.contains("lb_k_notavalidkey"))
    }

    @Test("--version prints the release and the commit the binary was built from")
    func version() throws {
        let outcome = try BureauProcess.run(["--version"])
        #expect(outcome.status == 0)
        let line = outcome.stdout.trimmingCharacters(in: .newlines)
        let match = try #require(line.wholeMatch(of: /bureau (\d+)\.(\d+)\.(\d+) \(commit ([0-9a-f]{12}(-modified)?|unknown)\)/))
        // Built from a git checkout (as the tests are), the commit is this checkout's.
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", BureauProcess.fixtures.deletingLastPathComponent().path, "rev-parse", "--short=12", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        git.standardError = FileHandle.nullDevice
        try git.run()
        git.waitUntilExit()
        let head = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if git.terminationStatus == 0 {
            #expect(match.output.4.hasPrefix(head), "built from \(head), says \(line)")
        }
    }

    @Test("--help works for every command")
    func help() throws {
        for command in [["--help"], ["serve", "--help"], ["config", "check", "--help"]] {
            let outcome = try BureauProcess.run(command)
            #expect(outcome.status == 0, "\(command)")
            #expect(outcome.stdout.contains("USAGE"), "\(command)")
        }
    }
}
