import Synchronization

/// Tells the response being written on a connection that its client has gone: the connection closed, or
/// the client closed its side of it.
///
/// An activity stream waits for events, not for its client, so without this it would notice a departed
/// client only when its next write failed (a heartbeat later), holding its slot under
/// `stream.max_streams_per_user` until then. One per connection; a connection writes one response at a
/// time, so it holds at most one action. The connection's task (and so every request on it) sees it as
/// ``current``.
final class ClientDeparture: Sendable {
    private enum State {
        case present(action: (@Sendable () -> Void)?)
        case gone
    }

    /// The departure of the connection the current task is serving, if it is served by ``HTTP1Connection``.
    @TaskLocal static var current: ClientDeparture?

    private let state = Mutex(State.present(action: nil))

    /// Runs `action` once the client has gone (at once if it has already), unless ``forget()`` comes first.
    /// Replaces an action set before.
    func whenGone(_ action: @escaping @Sendable () -> Void) {
        let goneAlready = state.withLock { state in
            guard case .present = state else { return true }
            state = .present(action: action)
            return false
        }
        if goneAlready { action() }
    }

    /// Drops the action set by ``whenGone(_:)``: the response it watched over has ended.
    func forget() {
        state.withLock { state in
            if case .present = state { state = .present(action: nil) }
        }
    }

    /// The client has gone: runs the action, if any, once.
    func clientLeft() {
        let action: (@Sendable () -> Void)? = state.withLock { state in
            guard case .present(let action) = state else { return nil }
            state = .gone
            return action
        }
        action?()
    }
}
