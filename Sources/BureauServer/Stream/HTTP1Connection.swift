import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 connections, with a smaller first receive buffer.
///
/// NIO keeps each connection's last receive buffer for reuse, sized by the channel's receive allocator:
/// by default 2,048 bytes, held for the connection's whole life. That is a tenth of what an idle activity
/// stream costs, for a request head of a few hundred bytes. This allocator starts at ``initialReceiveBytes``
/// and still grows (up to 64 KiB) for connections whose reads fill it, such as large request bodies.
struct HTTP1Connection: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    /// The size of a connection's first receive buffer.
    static let initialReceiveBytes = 512

    /// The receive allocator set on every accepted connection.
    static var receiveAllocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: initialReceiveBytes, maximum: 65536)
    }

    let base: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.syncOptions?.setOption(.recvAllocator, value: Self.receiveAllocator)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    /// The server builder for ``Application``: HTTP/1.1 with Hummingbird's default configuration.
    static var builder: HTTPServerBuilder {
        HTTPServerBuilder { responder in HTTP1Connection(base: HTTP1Channel(responder: responder)) }
    }
}
