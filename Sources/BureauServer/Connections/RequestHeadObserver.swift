import NIOCore
import NIOHTTP1

/// Behind the HTTP decoder: tells ``RequestHeadTimeoutHandler`` when a request head is complete and when
/// a request has ended. Passes every part on unchanged.
final class RequestHeadObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let timeout: RequestHeadTimeoutHandler

    init(timeout: RequestHeadTimeoutHandler) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: timeout.headReceived()
        case .body: break
        case .end: timeout.requestEnded()
        }
        context.fireChannelRead(data)
    }
}
