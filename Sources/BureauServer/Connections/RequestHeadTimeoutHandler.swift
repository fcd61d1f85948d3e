import Logging
import NIOCore

/// Drops a connection whose request head is not complete `timeout` after it began
/// (`http.request_head_timeout_seconds`): a client dribbling a head byte by byte (slowloris) holds a
/// connection that long at most, however often bytes arrive.
///
/// A head begins with the first bytes after the connection's start or the previous request's end. A
/// connection that sends nothing is idle, not slow: the idle timeout closes it. A stream, whose request
/// ended long ago, is never timed by this; bodies are not timed either. It sits before the HTTP decoder and sees raw reads; ``RequestHeadObserver``, behind the
/// decoder, tells it when a head is complete and when a request has ended.
///
/// Cheap for the common case: a head that arrives whole in one read never reads the clock or schedules
/// a timer. One timer at most is pending, and it is rescheduled lazily when it fires early.
final class RequestHeadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let logger: Logger
    /// `true` between the connection's start (or a request's end) and the next complete head.
    private var awaitingHead = true
    /// When the head now being read began; `nil` when none is being read.
    private var headBegan: NIODeadline?
    private var timer: Scheduled<Void>?
    /// Complete heads so far: tells a read that completed a head from one that did not.
    private var heads = 0

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let wasAwaiting = awaitingHead && headBegan == nil
        let headsBefore = heads
        // The decoder runs inside this call: a head complete in this read has reached the observer by now.
        context.fireChannelRead(data)
        if wasAwaiting, awaitingHead, heads == headsBefore { headBegins(context) }
    }

    /// A complete request head was decoded.
    func headReceived() {
        heads &+= 1
        awaitingHead = false
        headBegan = nil
    }

    /// A request's last part was decoded: the connection now waits for the next head.
    func requestEnded() {
        awaitingHead = true
    }

    private func headBegins(_ context: ChannelHandlerContext) {
        guard awaitingHead, headBegan == nil else { return }
        headBegan = context.eventLoop.now
        if timer == nil { schedule(context, at: context.eventLoop.now + timeout) }
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            // A head completed since the timer was set leaves nothing to time.
            guard let began = headBegan else { return }
            let due = began + timeout
            if context.eventLoop.now >= due {
                logger.debug("Connection closed: its request head was not complete in time")
                context.close(promise: nil)
            } else {
                schedule(context, at: due)
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}
