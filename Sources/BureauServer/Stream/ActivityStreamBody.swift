import BureauStore
import Hummingbird
import NIOCore

/// The body of one open activity stream: its opening (`retry:`, then the missed events or a reset), built
/// once and sent in one write, then every live signal of its subscription until the subscription ends.
///
/// The writing loop is kept small on purpose: its async frame lives, in the connection's task, as long as
/// the stream, so everything that does not need to cross an `await` is done in synchronous code.
struct ActivityStreamBody: Sendable {
    let subscription: ActivitySubscription
    /// `retry:`, then the replayed events or the reset, as one buffer.
    let opening: ByteBuffer
    /// The newest event id the opening covers (or the client had already seen): live events up to it are
    /// skipped, so an event both replayed and delivered live is sent once.
    let coveredThrough: ActivityEventID?

    /// The body for a client that last saw `lastSeen`, to which the store answered `replay`; a reset is
    /// stamped `resetTime`.
    init(subscription: ActivitySubscription, replay: ActivityReplay, lastSeen: ActivityEventID?, resetTime: Timestamp) {
        self.subscription = subscription
        var opening = ServerSentEvents.retry
        var covered = lastSeen
        switch replay {
        case .reset(let through):
            var reset = ServerSentEvents.reset(through: through, at: resetTime)
            opening.writeBuffer(&reset)
            covered = through
        case .events(let events):
            for event in events {
                var frame = ServerSentEvents.frame(of: event)
                opening.writeBuffer(&frame)
                covered = event.id
            }
        }
        self.opening = opening
        self.coveredThrough = covered
    }

    /// Writes the opening, then the live signals, until the subscription is closed; a stream closed
    /// because the server shuts down ends with `event: shutdown` stamped `now()`.
    func write(to writer: inout any ResponseBodyWriter, now: @Sendable () -> Timestamp) async throws {
        try await writer.write(opening)
        var lastSent = coveredThrough
        for await signal in subscription.signals {
            guard subscription.closeReason == nil else { break }
            if let frame = Self.frame(for: signal, after: &lastSent) {
                try await writer.write(frame)
            }
        }
        if subscription.closeReason == .shuttingDown {
            try await writer.write(ServerSentEvents.shutdown(at: now()))
        }
    }

    /// What to send for `signal`, or `nil` for an event already sent; advances `lastSent`.
    static func frame(for signal: ActivitySignal, after lastSent: inout ActivityEventID?) -> ByteBuffer? {
        switch signal {
        case .heartbeat:
            return ServerSentEvents.heartbeat
        case .event(let id, let frame):
            if let sent = lastSent, id <= sent { return nil }
            lastSent = id
            return frame
        }
    }
}
