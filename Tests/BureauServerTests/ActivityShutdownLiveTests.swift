import BureauServer
import BureauStore
import Hummingbird
import InMemoryLogging
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@Suite("The activity stream at shutdown")
struct ActivityShutdownLiveTests {
    @Test("graceful shutdown ends open streams cleanly and is not held up by them")
    func shutdownEndsStreams() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        // A handler that keeps metadata (the request id lives there), silenced by its level.
        var handler = InMemoryLogHandler()
        handler.logLevel = .critical
        let quiet = Logger(label: "bureau.test") { [handler] _ in handler }
        let application = Application(
            router: buildRouter(harness.services),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
            logger: quiet
        )
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], cancellationSignals: [], logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let start = try await SSEClient.open(
                port: port,
                ActivityStreamLiveTests.stream,
                headers: [("x-api-key", key)],
                timeout: .seconds(30)
            ) { sse in
                let first = try await sse.next()
                #expect(first?.retry != nil)
                let start = ContinuousClock.now
                await group.triggerGracefulShutdown()
                var blocks: [SSEBlock] = []
                while let block = try await sse.next() { blocks.append(block) }
                // The last block says why the stream ends, without an id (the client's last id stays a real event's).
                let last = try #require(blocks.last)
                #expect(last.event == "shutdown" && last.id == nil)
                #expect(last.data?.hasPrefix(#"{"type":"shutdown","at":""#) == true)
                #expect(ContinuousClock.now - start < .seconds(15), "the stream ended at shutdown, not by the test's timeout")
                return start
            }
            try await tasks.waitForAll()
            #expect(ContinuousClock.now - start < .seconds(25), "the server stopped without waiting for the client")
        }
        #expect(harness.services.activity.openStreams == 0)
    }
}
