import BureauAuth
import Logging
import NIOCore

/// First in every connection's pipeline: counts the connection against its client's cap
/// (``ClientConnections``), closing it at once when the client holds its share already, and tells the
/// connection's ``ClientDeparture`` when the client has gone.
///
/// The cap is checked when the connection becomes active, before any byte of it is read: a refused
/// connection is closed at once, unparsed and unanswered (a client over its cap is not owed a response),
/// and the others are not held up.
final class ClientConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Admission {
        /// Not active yet.
        case pending
        /// Let through, counted against `client` (or not counted: no cap, or no address to count).
        case admitted(client: ClientKey?)
        /// Over its client's cap: closed.
        case refused
    }

    private let connections: ClientConnections
    private let departure: ClientDeparture
    private let logger: Logger
    private var admission = Admission.pending

    init(connections: ClientConnections, departure: ClientDeparture, logger: Logger) {
        self.connections = connections
        self.departure = departure
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        admit(context)
        if case .refused = admission { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
        // Closed once the handlers behind have seen it open, so each sees the usual open-then-close.
        if case .refused = admission { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        departure.clientLeft()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Bytes already read when the connection was refused are dropped, not parsed.
        if case .refused = admission { return }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client closed its side: a stream it opened has no reader any more (its socket may linger
        // half-open, and a stream's next write may be many seconds away).
        if case .inputClosed? = event as? ChannelEvent { departure.clientLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard case .pending = admission else { return }
        // A Unix-domain socket has no address to count.
        guard connections.limitPerClient > 0, let address = context.channel.remoteAddress.flatMap(IPAddress.init(socketAddress:)) else {
            admission = .admitted(client: nil)
            return
        }
        let client = ClientKey(address)
        if connections.admit(client) {
            admission = .admitted(client: client)
        } else {
            admission = .refused
            logger.debug("Connection closed: its client holds its share of connections", metadata: ["client": "\(client)"])
        }
    }

    private func release() {
        if case .admitted(let client?) = admission { connections.release(client) }
        if case .admitted = admission { admission = .admitted(client: nil) }
    }
}
