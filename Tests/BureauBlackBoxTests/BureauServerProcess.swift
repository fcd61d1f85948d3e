import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real `bureau` executable, built beside this test bundle, run as a child process.
struct BureauBinary {
    let url: URL

    /// The binary next to the running test bundle (`swift test` builds it with the tests).
    static func locate() throws -> BureauBinary {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = directory.appendingPathComponent("bureau")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw BlackBoxError("no bureau executable at \(candidate.path): build the package first (swift build)")
        }
        return BureauBinary(url: candidate)
    }

    /// Runs `bureau arguments...` to completion: (exit status, standard output, standard error).
    func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let child = try ChildProcess(url.path, arguments, environment: Self.environment)
        // Read both pipes before waiting, so a large output cannot block the child.
        let errorData = ReadAll(child.error)
        let outputData = child.output.readDataToEndOfFile()
        let status = child.waitForExit()
        return (status, String(decoding: outputData, as: UTF8.self), String(decoding: errorData.value, as: UTF8.self))
    }

    /// The test's environment without `BUREAU_*` variables (the server refuses unknown ones).
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BUREAU_") }
    }
}

/// Reads a file handle to its end on a thread of its own.
final class ReadAll: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Everything read, once the writer closed its end.
    var value: Data {
        done.wait()
        return data
    }
}

/// A running `bureau serve`.
final class BureauServer: Sendable {
    let child: ChildProcess
    let baseURL: URL
    private let stderr: ReadAll

    /// Starts `bureau serve --config config` and waits until it says where it listens.
    static func start(_ binary: BureauBinary, config: String) throws -> BureauServer {
        let child = try ChildProcess(binary.url.path, ["serve", "--config", config, "--port", "0"], environment: BureauBinary.environment)
        let stderr = ReadAll(child.error)
        // The first line of standard output is "Bureau is serving on URL" (or the pipe closes on failure).
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = child.output.availableData
            if chunk.isEmpty {
                let status = child.waitForExit()
                throw BlackBoxError("bureau serve exited (\(status)): \(String(decoding: stderr.value, as: UTF8.self))")
            }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let range = line.range(of: "http://"), let url = URL(string: String(line[range.lowerBound...].prefix { !$0.isWhitespace })) else {
            child.send(SIGKILL)
            _ = child.waitForExit()
            throw BlackBoxError("unexpected first line: \(line)")
        }
        return BureauServer(child: child, baseURL: url, stderr: stderr)
    }

    private init(child: ChildProcess, baseURL: URL, stderr: ReadAll) {
        self.child = child
        self.baseURL = baseURL
        self.stderr = stderr
    }

    /// Sends `signal` (SIGKILL for a crash, SIGTERM for a graceful stop) and waits for the exit.
    func stop(signal: Int32) -> (status: Int32, log: String) {
        child.send(signal)
        let status = child.waitForExit()
        return (status, String(decoding: stderr.value, as: UTF8.self))
    }

    /// One HTTP request with the API key; returns the status and body (status 0 when the connection failed).
    func request(_ method: String, _ path: String, key: String, json: [String: String]? = nil) async -> (status: Int, body: Data) {
        var request = URLRequest(url: baseURL.appendingPathComponent(path))
        request.httpMethod = method
        request.timeoutInterval = 20
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try? JSONSerialization.data(withJSONObject: json)
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            return (0, Data())
        }
    }
}

/// A failure of the black-box harness itself.
struct BlackBoxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
