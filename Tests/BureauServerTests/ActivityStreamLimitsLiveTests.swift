import BureauAuth
import BureauServer
import BureauStore
import BureauTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOHTTP1
import Testing

@Suite("The activity stream's credentials, limits and slow readers, through real sockets")
struct ActivityStreamLimitsLiveTests {
    static let stream = ActivityStreamLiveTests.stream

    @Test("a key in the query string never reaches a log line, valid, invalid or on another path")
    func queryKeyNeverLogged() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let wrong = "lb_k_" + String(repeating: "Z", count: 40)
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        let logs = handler
        let application = Application(router: buildRouter(harness.services), logger: Logger(label: "bureau.test") { _ in logs })
        try await application.test(.live) { client in
            let port = try #require(client.port)
            try await SSEClient.open(port: port, "\(Self.stream)?apiKey=\(key)&lastEventId=0") { sse in
                #expect(sse.head.status == .ok)
                let first = try await sse.next()
                #expect(first?.retry != nil)
            }
            let refused = try await client.send(.get, "\(Self.stream)?apiKey=\(wrong)")
            #expect(refused.status == .unauthorized)
            #expect(!refused.text.contains(wrong))
            // Anywhere else the parameter is not read at all, but it must not be logged either.
            #expect(try await client.send(.get, "/api/desktops?apiKey=\(key)").status == .unauthorized)
            #expect(try await client.send(.get, "/api/desktops?api%4Bey=\(key)").status == .unauthorized)
        }
        let lines = logs.entries.map { "\($0.message) \($0.metadata)" }
        #expect(lines.count >= 4)
        for line in lines {
            #expect(!line.contains(key), "a key reached the log")
            #expect(!line.contains(wrong), "a key reached the log")
        }
        #expect(lines.contains { $0.contains("activity/stream?apiKey=REDACTED&lastEventId=0") })
    }

    @Test("ten bad query keys block the address; then a valid query key gets 429 unchecked")
    func blockedThroughQueryKey() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            for attempt in 0..<10 {
                let response = try await client.send(.get, "\(Self.stream)?apiKey=lb_k_wrong\(attempt)")
                #expect(response.code == "invalid_api_key")
            }
            let blocked = try await client.send(.get, "\(Self.stream)?apiKey=\(key)")
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.code == "api_key_auth_blocked")
            #expect(blocked.headers[.retryAfter] != nil)
        }
    }

    @Test("opening a stream counts once against the general limit; heartbeats do not count")
    func streamCountsOnce() async throws {
        var settings = TestHarness.settings
        settings.rateLimits.generalLimit = 5
        let harness = TestHarness(settings: settings)
        let (_, key) = try await harness.account("ada@example.com")
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key)]) { sse in
                #expect(try await sse.next()?.retry != nil)
                for _ in 0..<10 {
                    harness.services.activity.heartbeat()
                    #expect(try await sse.next()?.comment == "keep-alive")
                }
                let after = try await client.send(.get, "/api/desktops", key: key)
                #expect(after.headers[.rateLimit]?.hasPrefix(#""general";r=3;"#) == true)
            }
        }
    }

    @Test("a stalled reader is closed when its buffer fills, and never slows writers or other readers")
    func stalledReaderDoesNotSlowOthers() async throws {
        var settings = TestHarness.settings
        settings.streamBufferEvents = 16
        let harness = TestHarness(settings: settings)
        let (_, key) = try await harness.account("ada@example.com")
        let content = String(repeating: "x", count: 100_000)
        let tasks = 120
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let desktop = try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "d"}"#).object["id"] as? String
            let desktopID = try #require(desktop)
            try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key)], receiveBuffer: 4096) { stalled in
                #expect(stalled.head.status == .ok)
                try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key)], timeout: .seconds(60)) { healthy in
                    #expect(harness.services.activity.openStreams == 2)
                    let start = ContinuousClock.now
                    let received = try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for _ in 0..<tasks {
                                let body = #"{"type": "prompt", "content": "\#(content)", "desktopId": "\#(desktopID)"}"#
                                let status = try await client.send(.post, "/api/mission-control/tasks", key: key, json: body).status
                                #expect(status == .created)
                            }
                        }
                        var received = 0
                        while received < tasks, let event = try await healthy.nextEvent() {
                            if event.event == "task.created" { received += 1 }
                        }
                        try await group.waitForAll()
                        return received
                    }
                    #expect(received == tasks)
                    // Blocked writers would never finish: the bound only catches a hang, with room for a loaded
                    // machine (it took 20 s alone and 32 s with four builds running beside it).
                    #expect(ContinuousClock.now - start < .seconds(90))
                    // The stalled stream was dropped from the hub; the healthy one is still open.
                    #expect(harness.services.activity.openStreams == 1)
                }
            }
        }
    }

    @Test("the heartbeat comment comes at the configured interval of the injected clock")
    func heartbeatOnInjectedClock() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let clock = ManualClock()
        let heartbeat = ActivityHeartbeat(hub: harness.services.activity, interval: .seconds(15), clock: clock)
        let application = Application(router: buildRouter(harness.services), services: [heartbeat])
        try await application.test(.live) { client in
            let port = try #require(client.port)
            try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", key)]) { sse in
                #expect(try await sse.next()?.retry != nil)
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(14))
                try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "before the beat"}"#)
                #expect(try await sse.next()?.event == "desktop.created", "no heartbeat before 15 s")
                clock.advance(by: .seconds(1))
                #expect(try await sse.next()?.comment == "keep-alive")
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(15))
                #expect(try await sse.next()?.comment == "keep-alive")
            }
        }
    }
}
