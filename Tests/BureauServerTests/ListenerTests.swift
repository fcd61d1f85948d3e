import BureauServer
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The listening socket of the application `serve` runs: its backlog and how many waiting connections it
/// takes at a time (a burst of new connections under load must not wait behind the busy ones).
@Suite("The listening socket")
struct ListenerTests {
    @Test("the application listens with http.listen_backlog")
    func backlog() {
        var settings = TestHarness.settings
        #expect(buildApplication(TestHarness(settings: settings).services, logger: Logger(label: "test")).configuration.backlog == 4096)
        settings.listenBacklog = 511
        #expect(buildApplication(TestHarness(settings: settings).services, logger: Logger(label: "test")).configuration.backlog == 511)
    }

    @Test("once bound, the listener takes up to 256 waiting connections each time its event loop comes round, not NIO's 4")
    func acceptsPerRead() async throws {
        let reported = Mutex<Int?>(nil)
        let application = buildApplication(TestHarness().services, logger: Logger(label: "test")) { port in
            reported.withLock { $0 = port }
        }
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        #expect(try await listener.getOption(ChannelOptions.maxMessagesPerRead).get() == 4, "NIO's default, before")
        await application.onServerRunning(listener)
        #expect(try await listener.getOption(ChannelOptions.maxMessagesPerRead).get() == 256)
        #expect(reported.withLock { $0 } == listener.localAddress?.port, "the bound port is still reported")
    }
}
