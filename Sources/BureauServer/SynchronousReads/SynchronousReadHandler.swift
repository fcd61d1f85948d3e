import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Answers the reads of ``SynchronousReads`` on the connection's event loop (`http.synchronous_reads`),
/// between Hummingbird's connection-state handler and its async channel: every other request, and any
/// such read that cannot be answered without suspending, goes on to the router unchanged.
///
/// Answers keep the connection's order (HTTP/1.1 pipelining): a read is answered here only while no
/// request handed to the router is still unanswered, counted from the heads passed on to the response
/// ends written back through this handler. A head that qualifies is held until its request's end; a body
/// part arriving first sends the held head on to the router. The connection-state handler before this one
/// sees every request and answer (idle timeout and graceful shutdown count them as the router's). While the
/// connection is not writable (a client that does not read its answers) everything goes to the router,
/// whose writes wait. A routed answer that streams (the activity stream) takes the handler out of the
/// connection's pipeline: its events do not pass through it, and the connection does not keep it.
final class SynchronousReadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let reads: SynchronousReads
    private let logger: Logger
    /// Whether requests are logged through `logger` (its level does not change while the server runs).
    private let logged: Bool
    /// Requests passed on to the router whose answer has not ended yet.
    private var routedUnanswered = 0
    /// A qualifying head, held until its request ends.
    private var held: HTTPRequest?
    /// Answers written here since the last flush.
    private var needsFlush = false
    /// A request passed on asked to close the connection after its answer: the router reads no request
    /// after it, so none is answered here either.
    private var closing = false
    /// A routed answer that streams has begun: the handler leaves the pipeline at the next flush.
    private var leaving = false

    /// A handler answering `reads`, logging through `logger` (the server's, as the router's requests do).
    init(reads: SynchronousReads, logger: Logger) {
        self.reads = reads
        self.logger = logger
        self.logged = reads.requestLog.isEnabled(for: logger)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if routedUnanswered == 0, held == nil, !closing, context.channel.isWritable, reads.accepts(head) {
                held = head
                return
            }
            passOn(head, context: context)
        case .body:
            if let head = held {
                held = nil
                passOn(head, context: context)
            }
            context.fireChannelRead(data)
        case .end:
            guard let head = held else {
                context.fireChannelRead(data)
                return
            }
            held = nil
            guard let answer = reads.answer(head, peer: context.channel.remoteAddress, logger: logger, logged: logged) else {
                passOn(head, context: context)
                context.fireChannelRead(data)
                return
            }
            context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
            context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
            needsFlush = true
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Answers to pipelined requests read together go out in one flush.
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where Self.isStream(head):
            // A stream holds the connection for as long as it lasts, and every event would pass through here:
            // the handler leaves the pipeline once this head is flushed, and whatever the connection sends
            // later goes to the router. (Nothing is held or unflushed here: a routed request is unanswered,
            // so none was answered here.)
            leaving = true
            context.write(data, promise: promise)
        case .end:
            routedUnanswered -= 1
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        // Out of the pipeline only after the flush has passed: a flush given to a handler that has left is lost.
        if leaving {
            leaving = false
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    /// Whether `head` starts an answer that streams (`text/event-stream`: the activity stream).
    static func isStream(_ head: HTTPResponse) -> Bool {
        head.headerFields[.contentType].map { $0.lowercased().hasPrefix("text/event-stream") } ?? false
    }

    private func passOn(_ head: HTTPRequest, context: ChannelHandlerContext) {
        routedUnanswered += 1
        // The framework's own test for the end of a connection's requests.
        if head.headerFields[.connection] == "close" { closing = true }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
