import BureauAuth
import BureauServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Testing

/// Each test runs a server with short limits and stops by itself: every wait has a bound.
@Suite("Idle, slow and too many connections, through real sockets")
struct ConnectionLimitsLiveTests {
    static func harness(idle: Int = 30, head: Int = 30, perClient: Int = 256) -> TestHarness {
        var settings = TestHarness.settings
        settings.idleTimeoutSeconds = idle
        settings.requestHeadTimeoutSeconds = head
        settings.maxConnectionsPerClient = perClient
        return TestHarness(settings: settings)
    }

    @Test("a connection idle after its request is closed after http.idle_timeout_seconds")
    func idleConnectionClosed() async throws {
        // 2 s rather than 1: on a machine busy with the rest of the suite, the idle timer must not beat the
        // connection's first read.
        let harness = Self.harness(idle: 2)
        try await harness.application.test(.live) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            defer { Task { await connection.close() } }
            try await connection.get("/healthz")
            #expect(try await connection.responses(1) == [200])
            let idleSince = ContinuousClock.now
            #expect(try await connection.closedByServer(within: .seconds(15)), "still open 15 s after a 2 s idle timeout")
            #expect(ContinuousClock.now - idleSince > .milliseconds(1800), "closed before it was idle for the timeout")
        }
    }

    @Test("a connection that never sends a byte is idle: closed at the idle timeout, not kept")
    func silentConnectionClosed() async throws {
        let harness = Self.harness(idle: 1)
        try await harness.application.test(.live) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            defer { Task { await connection.close() } }
            #expect(try await connection.closedByServer(within: .seconds(15)), "a silent connection was kept")
            #expect(connection.text.isEmpty)
        }
    }

    @Test("a kept-alive connection that keeps sending requests is not idle")
    func busyConnectionKept() async throws {
        let harness = Self.harness(idle: 3)
        try await harness.application.test(.live) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            defer { Task { await connection.close() } }
            let start = ContinuousClock.now
            var sent = 0
            // Longer than the idle timeout in all, each request well within it of the last answer.
            while ContinuousClock.now - start < .seconds(5) {
                try await connection.get("/healthz")
                sent += 1
                #expect(try await connection.responses(sent, within: .seconds(15)).count == sent)
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(!connection.isClosed, "5 s of requests, each within the idle timeout")
        }
    }

    @Test("an open activity stream outlives the idle timeout and still delivers")
    func streamNotIdle() async throws {
        // 2 s rather than 1: the new connection below must not meet the idle timeout before its request is
        // read, which a machine busy with the rest of the suite can delay by a second.
        let harness = Self.harness(idle: 2)
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            try await SSEClient.open(port: port, ActivityStreamLiveTests.stream, headers: [("x-api-key", key)], timeout: .seconds(30)) { sse in
                #expect(sse.head.status == .ok)
                #expect(try await sse.next()?.retry != nil)
                // Two and a half idle timeouts without a byte either way.
                try await Task.sleep(for: .seconds(5))
                // On a new connection: the test client's own, idle meanwhile, was closed.
                let writer = try await RawConnection.open(port: port)
                defer { Task { await writer.close() } }
                let body = #"{"name": "after the idle timeout"}"#
                try await writer.send(
                    "POST /api/desktops HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(key)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                )
                #expect(try await writer.responses(1) == [201])
                #expect(try await sse.nextEvent()?.event == "desktop.created")
            }
        }
    }

    @Test("a request head dribbled byte by byte is dropped at http.request_head_timeout_seconds")
    func slowlorisDropped() async throws {
        let harness = Self.harness(idle: 30, head: 1)
        try await harness.application.test(.live) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            defer { Task { await connection.close() } }
            try await connection.get("/healthz")
            #expect(try await connection.responses(1) == [200])
            // The next head, one byte every 100 ms: 25 s to complete, each byte far inside the idle timeout.
            let head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: \(String(repeating: "s", count: 200))\r\n\r\n"
            let start = ContinuousClock.now
            var sent = 0
            for byte in head {
                guard !connection.isClosed else { break }
                try? await connection.send(String(byte))
                sent += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await connection.closedByServer(within: .seconds(15)))
            // The exact deadline is the unit tests' (RequestHeadTimeoutTests, on a driven clock); here, with 1 s
            // set, the head is dropped long before the 25 s it takes, on however loaded a machine.
            #expect(sent < head.count, "dropped after \(sent) of \(head.count) bytes, \(ContinuousClock.now - start)")
            #expect(connection.statuses == [200], "no answer for the dribbled head")
        }
    }

    @Test("a complete head with a slow body is not the head timeout's business")
    func slowBodyServed() async throws {
        let harness = Self.harness(idle: 30, head: 1)
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            defer { Task { await connection.close() } }
            let body = #"{"name": "slowly sent, but sent"}"#
            try await connection.send(
                "POST /api/desktops HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(key)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            )
            // 2.5 s of body, in 10 pieces.
            var rest = Substring(body)
            while !rest.isEmpty {
                try await Task.sleep(for: .milliseconds(250))
                try await connection.send(String(rest.prefix(4)))
                rest = rest.dropFirst(4)
            }
            #expect(try await connection.responses(1) == [201])
        }
    }

    @Test("the connection over the per-client cap is closed at once; the others are served; a slot frees on close")
    func connectionCap() async throws {
        let harness = Self.harness(perClient: 3)
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let connections = harness.services.connections
            // The test client's own connection, opened as the test starts, is the first of the three.
            #expect(try await eventually(within: .seconds(10)) { connections.count(of: .v4(0x7F00_0001)) == 1 })
            var held: [RawConnection] = []
            for _ in 1..<3 {
                let connection = try await RawConnection.open(port: port)
                try await connection.get("/healthz")
                #expect(try await connection.responses(1) == [200])
                held.append(connection)
            }
            #expect(connections.count(of: .v4(0x7F00_0001)) == 3)

            let refused = try await RawConnection.open(port: port)
            let refusedAt = ContinuousClock.now
            try? await refused.get("/healthz")
            #expect(try await refused.closedByServer(within: .seconds(10)), "the fourth connection stayed open")
            // At once: the idle and head timeouts are 30 s here (the margin is for a loaded machine).
            #expect(ContinuousClock.now - refusedAt < .seconds(10))
            #expect(refused.statuses.isEmpty, "nothing was answered on it")

            // The connections already open are served as before.
            try await held[0].get("/healthz")
            #expect(try await held[0].responses(2) == [200, 200])

            await held[1].close()
            let freed = try await eventually(within: .seconds(30)) { connections.count(of: .v4(0x7F00_0001)) == 2 }
            #expect(freed, "the count did not fall when a connection closed")
            let later = try await RawConnection.open(port: port)
            try await later.get("/healthz")
            #expect(try await later.responses(1) == [200])
            for connection in held + [later] { await connection.close() }
        }
    }
}

/// Waits until `condition` holds, checking every 10 ms, for at most `timeout`; says whether it held.
func eventually(within timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        // Once more after the deadline, for a task starved of the cooperative threads past it.
        guard ContinuousClock.now < deadline else { return condition() }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}
