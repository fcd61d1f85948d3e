import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM and SIGINT on the real binary: requests in progress finish within `http.shutdown_grace_seconds`,
/// open streams end with a last event, the final snapshot is written, the exit status is 0; a second
/// signal exits at once.
@Suite("Graceful shutdown of the bureau binary", .serialized)
struct GracefulShutdownTests {
    static let desktopBody = #"{"name": "Finished during shutdown"}"#

    /// A server on the demo config in a new data directory: (server, data directory, port).
    static func start(grace: Int) throws -> (BureauProcess, String, Int) {
        let data = ServeCommandTests.temporaryDirectory()
        let server = try BureauProcess(serve: [
            "--config", BureauProcess.fixtures.appendingPathComponent("demo.yaml").path, "--data-dir", data,
            "--http-shutdown-grace-seconds", String(grace),
        ])
        return (server, data, try #require(server.baseURL?.port))
    }

    /// A connection with a desktop creation in progress: its head and half its body sent, then a pause so
    /// the server has read them (the key is checked by an earlier request, so no hash is computed then).
    static func requestInProgress(_ server: BureauProcess, port: Int) async throws -> (RawSocket, rest: String) {
        let (warm, _) = try await server.request("GET", "api/desktops", headers: ["x-api-key": BureauProcess.demoKey])
        #expect(warm == 200)
        let connection = try #require(RawSocket(port: port))
        let body = desktopBody
        let half = body.utf8.count / 2
        connection.send(
            "POST /api/desktops HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(BureauProcess.demoKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + String(body.utf8.prefix(half))!
        )
        try await Task.sleep(for: .seconds(1))
        return (connection, String(body.utf8.dropFirst(half))!)
    }

    /// Waits for the process to exit, at most `timeout`; `nil` if it is still running then.
    static func exitStatus(_ server: BureauProcess, within timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while server.process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        return server.process.isRunning ? nil : server.process.terminationStatus
    }

    @Test("SIGTERM: a request in progress still gets its answer, a stream gets `event: shutdown`, the final snapshot is written, exit 0")
    func drainsInFlightRequests() async throws {
        let (server, data, port) = try Self.start(grace: 30)
        let (inFlight, rest) = try await Self.requestInProgress(server, port: port)
        let stream = try #require(RawSocket(port: port))
        stream.send(
            "GET /api/mission-control/activity/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(BureauProcess.demoKey)\r\n\r\n"
        )
        #expect(stream.read(until: "retry:", timeout: .seconds(10)).contains("retry:"))

        kill(server.process.processIdentifier, SIGTERM)
        // The stream ends at once, its last block the shutdown event (no id: the client's last id stays a real event's).
        let streamed = stream.read(until: "event: shutdown", timeout: .seconds(10))
        #expect(streamed.contains("event: shutdown\ndata: {\"type\":\"shutdown\""))
        #expect(stream.waitForClose(timeout: .seconds(10)))
        // The request in progress is not cut off: its body completes and it is answered.
        #expect(server.process.isRunning, "the server waits for the request in progress")
        inFlight.send(rest)
        let answer = inFlight.read(until: "\r\n\r\n", timeout: .seconds(10))
        #expect(answer.hasPrefix("HTTP/1.1 201"))
        #expect(inFlight.waitForClose(timeout: .seconds(10)), "the connection closes after its answer")
        #expect(Self.exitStatus(server, within: .seconds(20)) == 0)
        #expect(RawSocket(port: port) == nil, "nothing listens any more")

        let snapshots = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasSuffix(".snap") }
        #expect(!snapshots.isEmpty, "the final snapshot was written")
        // The desktop answered during the shutdown is there after a restart.
        let again = try BureauProcess(serve: ["--config", BureauProcess.fixtures.appendingPathComponent("demo.yaml").path, "--data-dir", data])
        let (status, listing) = try await again.request("GET", "api/desktops", headers: ["x-api-key": BureauProcess.demoKey])
        #expect(status == 200 && listing.contains("Finished during shutdown"))
        #expect(again.stop() == 0)
    }

    @Test("a request still in progress when the grace period ends loses its connection; the server exits 0 on time")
    func gracePeriodBoundsTheWait() async throws {
        let (server, data, port) = try Self.start(grace: 2)
        let (stuck, _) = try await Self.requestInProgress(server, port: port)
        let started = ContinuousClock.now
        kill(server.process.processIdentifier, SIGTERM)
        #expect(stuck.waitForClose(timeout: .seconds(15)), "closed at the end of the grace period")
        #expect(ContinuousClock.now - started >= .milliseconds(1900), "the request in progress had its grace period")
        #expect(Self.exitStatus(server, within: .seconds(15)) == 0)
        #expect(ContinuousClock.now - started < .seconds(12), "not held up by the stuck client")
        #expect(!stuck.text.contains("HTTP/1.1 201"))
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasSuffix(".snap") }
        #expect(!snapshots.isEmpty, "the final snapshot was written after the grace period")
    }

    @Test("a second signal during the shutdown exits at once; the data directory still recovers")
    func secondSignalExitsAtOnce() async throws {
        let (server, data, port) = try Self.start(grace: 600)
        let (stuck, _) = try await Self.requestInProgress(server, port: port)
        kill(server.process.processIdentifier, SIGINT)
        // The first signal only starts the shutdown: the stuck request holds it for up to 10 minutes.
        #expect(Self.exitStatus(server, within: .milliseconds(500)) == nil)
        let started = ContinuousClock.now
        kill(server.process.processIdentifier, SIGTERM)
        #expect(Self.exitStatus(server, within: .seconds(10)) == 128 + SIGTERM)
        #expect(ContinuousClock.now - started < .seconds(5))
        _ = stuck
        let again = try BureauProcess(serve: ["--config", BureauProcess.fixtures.appendingPathComponent("demo.yaml").path, "--data-dir", data])
        let (status, _) = try await again.request("GET", "api/desktops", headers: ["x-api-key": BureauProcess.demoKey])
        #expect(status == 200)
        #expect(again.stop() == 0)
    }
}
