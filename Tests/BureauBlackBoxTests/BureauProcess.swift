import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `bureau` binary, run as a child process for black-box tests.
final class BureauProcess: @unchecked Sendable {
    /// The `bureau` executable built next to the test runner.
    static var executable: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // On macOS the runner sits inside an .xctest bundle.
        while directory.pathComponents.count > 1, !FileManager.default.fileExists(atPath: directory.appendingPathComponent("bureau").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("bureau")
    }

    /// The result of a command that ran to completion.
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `bureau arguments...` to completion (at most `timeout` seconds).
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = cleanEnvironment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        )
    }

    /// The environment without any `BUREAU_*` variable of the machine running the tests.
    static var cleanEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BUREAU_") }
    }

    let process: Process
    let stdoutPipe = Pipe()
    let stderrPipe = Pipe()
    /// `http://127.0.0.1:PORT`, read from the line the server prints once it listens.
    private(set) var baseURL: URL?

    /// Starts `bureau serve arguments...` on a free port and waits until it listens.
    init(serve arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = Self.executable
        process.arguments = ["serve", "--port", "0"] + arguments
        process.environment = Self.cleanEnvironment.merging(environment) { $1 }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            let data = stdoutPipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            if let line = seen.split(separator: "\n").first(where: { $0.hasPrefix("Bureau is serving on ") }) {
                baseURL = URL(string: String(line.dropFirst("Bureau is serving on ".count)))
                break
            }
        }
        guard baseURL != nil else {
            process.terminate()
            throw StartFailure(output: seen)
        }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "bureau did not start: \(output)" }
    }

    /// Sends SIGTERM and waits for the exit status.
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Everything the server wrote to stderr (call after `stop()`).
    func standardError() -> String {
        String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// A request to the running server: (status, body).
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: baseURL!.appendingPathComponent(path))
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The repository's `fixtures/` directory.
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures")
    }

    /// The demo key from `fixtures/demo.yaml`.
    static var demoKey: String {
        let text = (try? String(contentsOf: fixtures.appendingPathComponent("demo.yaml"), encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("key: lb_k_") { return String(trimmed.dropFirst("key: ".count)) }
        }
        return ""
    }
}
