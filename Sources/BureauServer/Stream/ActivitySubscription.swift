import BureauStore
import NIOCore
import Synchronization

/// What a stream is told: an event to send (its frame rendered once for every stream), or a heartbeat.
enum ActivitySignal: Sendable {
    case event(ActivityEventID, ByteBuffer)
    case heartbeat
}

/// Why the server ended a stream.
public enum StreamCloseReason: Sendable, Equatable {
    /// The credential that opened it was revoked (or its session ended).
    case credentialRevoked
    /// Its reader fell more than the buffer behind; the client resumes by id.
    case fellBehind
    /// The server is shutting down.
    case shuttingDown
    /// Its client went away (closed the connection, or its side of it).
    case clientGone
}

/// One open activity stream: a bounded buffer of signals between the hub (which must never wait) and the
/// task writing the response (which may wait on a slow reader). When the buffer is full the subscription
/// is closed rather than grown: memory per stream stays bounded and no writer ever blocks.
final class ActivitySubscription: Sendable {
    /// Unique among the hub's subscriptions.
    let id: UInt64
    /// The user whose events it carries.
    let userID: UserID
    /// How the request that opened it authenticated (revoking that credential closes it).
    let method: Credential
    /// The signals, in order; ends when the subscription is closed.
    let signals: AsyncStream<ActivitySignal>
    private let continuation: AsyncStream<ActivitySignal>.Continuation
    private let reason = Mutex<StreamCloseReason?>(nil)

    init(id: UInt64, userID: UserID, method: Credential, bufferLimit: Int) {
        self.id = id
        self.userID = userID
        self.method = method
        (signals, continuation) = AsyncStream.makeStream(of: ActivitySignal.self, bufferingPolicy: .bufferingOldest(max(bufferLimit, 1)))
    }

    /// Queues `signal` without waiting. Returns `false` when the buffer is full: the caller then closes the
    /// subscription (outside any lock of its own) with ``StreamCloseReason/fellBehind``.
    func deliver(_ signal: ActivitySignal) -> Bool {
        if case .dropped = continuation.yield(signal) { return false }
        return true
    }

    /// Ends the stream for `reason` (the first reason given sticks). Never call it while holding the hub's lock.
    func close(_ reason: StreamCloseReason) {
        self.reason.withLock { current in
            if current == nil { current = reason }
        }
        continuation.finish()
    }

    /// Why the subscription was closed, or `nil` while it is open.
    var closeReason: StreamCloseReason? { reason.withLock { $0 } }

    /// Runs `action` once the subscription ends, however it ends (closed, or its stream abandoned).
    func onTermination(_ action: @escaping @Sendable () -> Void) {
        continuation.onTermination = { _ in action() }
    }
}
