// The framework floor of `scripts/bench-floor.sh` (issue 13): a bare SwiftNIO HTTP/1 server and a bare
// Hummingbird route, each answering every request with the body Bureau's `/healthz` answers, so that the
// benchmark can put Bureau beside the frameworks it stands on.
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The body every floor server answers: the same bytes as Bureau's `GET /healthz` (15 bytes of JSON).
let floorBody = #"{"status":"ok"}"#

/// Writes the line the benchmark script waits for (`serving on http://127.0.0.1:PORT`), unbuffered.
func announceServing(port: Int) {
    FileHandle.standardOutput.write(Data("serving on http://127.0.0.1:\(port)\n".utf8))
}

/// Answers each HTTP/1 request with ``floorBody``, whatever its method and path: one handler after NIO's
/// `configureHTTPServerPipeline`, nothing else. Responses are written as requests end and flushed when a
/// read completes, so pipelined requests share one flush.
final class BareHTTPHandler: ChannelInboundHandler {
    /// The request's parts, as NIO's HTTP/1 decoder hands them on.
    typealias InboundIn = HTTPServerRequestPart
    /// The response's parts, for NIO's HTTP/1 encoder.
    typealias OutboundOut = HTTPServerResponsePart

    private let body: ByteBuffer
    private var keepAlive = true

    /// A handler answering `body` to every request of its connection.
    init(body: ByteBuffer) {
        self.body = body
    }

    /// Notes whether the connection stays open at a request's head; writes the response at its end.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.readableBytes))
            if !keepAlive {
                headers.add(name: "connection", value: "close")
            }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            if keepAlive {
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }
    }

    /// Flushes the responses written during this read.
    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

/// `bare-nio PORT`: a SwiftNIO HTTP/1 server on 127.0.0.1 (port 0: a free one) with two event loops,
/// `configureHTTPServerPipeline` and ``BareHTTPHandler``; the listen backlog is Hummingbird's default (256).
/// Runs until killed.
func bareNIO(port: Int) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let body = ByteBuffer(string: floorBody)
    let channel = try ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(BareHTTPHandler(body: body))
            }
        }
        .bind(host: "127.0.0.1", port: port)
        .wait()
    announceServing(port: channel.localAddress?.port ?? port)
    try channel.closeFuture.wait()
}

/// `bare-hummingbird PORT`: a Hummingbird 2 application on 127.0.0.1 (port 0: a free one) with one route,
/// `GET /healthz`, answering ``floorBody`` as `application/json`; Hummingbird's defaults otherwise (the
/// singleton event loop group, one loop per core; HTTP/1). Runs until SIGTERM or SIGINT.
func bareHummingbird(port: Int) async throws {
    let router = Router()
    let body = ByteBuffer(string: floorBody)
    router.get("healthz") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }
    var logger = Logger(label: "bare-hummingbird")
    logger.logLevel = .warning
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
        onServerRunning: { channel in
            announceServing(port: channel.localAddress?.port ?? port)
        },
        logger: logger
    )
    try await app.runService()
}
