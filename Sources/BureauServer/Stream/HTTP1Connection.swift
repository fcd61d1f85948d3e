import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Hummingbird's HTTP/1.1 connections, with a smaller first receive buffer and the limits on
/// connections (``ConnectionLimits``).
///
/// NIO keeps each connection's last receive buffer for reuse, sized by the channel's receive allocator:
/// by default 2,048 bytes, held for the connection's whole life. That is a tenth of what an idle activity
/// stream costs, for a request head of a few hundred bytes. This allocator starts at ``initialReceiveBytes``
/// and still grows (up to 64 KiB) for connections whose reads fill it, such as large request bodies.
///
/// Each connection's pipeline: ``ClientConnectionHandler`` (the per-client cap, and the client's
/// departure), ``RequestHeadTimeoutHandler`` (raw bytes), Hummingbird's HTTP decoder,
/// ``RequestHeadObserver``, then the rest of Hummingbird's pipeline, whose connection-state handler
/// closes a connection idle for `idleTimeout` (never one with a response in progress, such as a stream);
/// with `http.synchronous_reads`, a ``SynchronousReadHandler`` after that one.
struct HTTP1Connection: ServerChildChannel {
    /// What a connection's task works with: Hummingbird's channel, and the client's departure.
    struct Value: ServerChildChannelValue {
        let base: HTTP1Channel.Value
        let departure: ClientDeparture
        var channel: any Channel { base.channel }
    }

    /// The size of a connection's first receive buffer.
    static let initialReceiveBytes = 512

    /// The receive allocator set on every accepted connection.
    static var receiveAllocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: initialReceiveBytes, maximum: 65536)
    }

    let base: HTTP1Channel
    let limits: ConnectionLimits
    /// The reads answered on the event loop (`http.synchronous_reads`); `nil` when off.
    var synchronousReads: SynchronousReads? = nil

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let departure = ClientDeparture()
        let headTimeout = RequestHeadTimeoutHandler(timeout: limits.requestHeadTimeout, logger: logger)
        do {
            try channel.syncOptions?.setOption(.recvAllocator, value: Self.receiveAllocator)
            try channel.pipeline.syncOperations.addHandlers(
                ClientConnectionHandler(connections: limits.connections, departure: departure, logger: logger),
                headTimeout
            )
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Setup runs on the connection's event loop, and Hummingbird's completes there at once: the observer
        // goes in before any read.
        return base.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(RequestHeadObserver(timeout: headTimeout), position: .after(decoder))
            if let synchronousReads {
                let state = try channel.pipeline.syncOperations.handler(type: HTTPConnectionStateHandler.self)
                try channel.pipeline.syncOperations.addHandler(
                    SynchronousReadHandler(reads: synchronousReads, logger: logger),
                    position: .after(state)
                )
            }
            return Value(base: value, departure: departure)
        }.nonisolated()
    }

    func handle(value: Value, logger: Logger) async {
        await ClientDeparture.$current.withValue(value.departure) {
            // At graceful shutdown Hummingbird stops accepting and lets each connection finish the request
            // in progress; one still open after the grace period is closed, so a slow or stuck client cannot
            // hold the shutdown (and the final snapshot) up. A connection that ends earlier cancels the timer.
            let channel = value.channel
            let grace = limits.shutdownGrace
            await withGracefulShutdownHandler {
                await base.handle(value: value.base, logger: logger)
            } onGracefulShutdown: {
                let scheduled = channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in scheduled.cancel() }
            }
        }
    }

    /// How many waiting connections the listening socket takes each time its event loop comes round to it
    /// (NIO's default is 4). That loop also serves its share of the open connections, so under load a round
    /// takes milliseconds: 4 at a time, 512 new connections waited up to 1.4 s for their first answer behind
    /// 512 busy ones; 256 at a time, 0.1 s (BENCHMARKS.md, "Ninth session").
    static let acceptsPerRead: UInt = 256

    /// Readies the listening socket `channel` once it is bound: ``acceptsPerRead``.
    static func prepareListener(_ channel: any Channel) async {
        // Fails only when the listener has closed already, which leaves nothing to prepare.
        try? await channel.setOption(ChannelOptions.maxMessagesPerRead, value: acceptsPerRead).get()
    }

    /// The server builder for ``Application``: HTTP/1.1 with Hummingbird's defaults, within `limits`,
    /// answering `synchronousReads` (when given) on the event loop.
    static func builder(limits: ConnectionLimits, synchronousReads: SynchronousReads? = nil) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            HTTP1Connection(
                base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: limits.idleTimeout)),
                limits: limits,
                synchronousReads: synchronousReads
            )
        }
    }
}
