import BureauStore
import NIOCore
import Synchronization

/// Fans committed activity out to the open streams of its user, and closes streams whose credential is
/// revoked. It is told of every commit on the store's write path, so it never waits: it renders each
/// event once and queues it into each stream's bounded buffer; a stream that is full is closed instead.
///
/// The events themselves are kept in the store's state (``StoreState/activity``), so that resumes, the
/// activity list, snapshots and recovery all see the same history; the hub only holds who is listening.
public final class ActivityHub: Sendable {
    private struct State {
        var subscriptions: [UserID: [UInt64: ActivitySubscription]] = [:]
        var nextID: UInt64 = 0
        var count = 0
        var isShutDown = false
    }

    private let state = Mutex(State())
    /// How many signals each stream may have queued before it is closed.
    public let bufferLimit: Int

    /// A hub whose streams each buffer at most `bufferLimit` signals.
    public init(bufferLimit: Int) {
        self.bufferLimit = bufferLimit
    }

    /// The number of open streams.
    public var openStreams: Int { state.withLock { $0.count } }

    /// Opens a subscription for `userID`'s events, or `nil` once the hub has shut down.
    func subscribe(userID: UserID, method: AuthenticationMethod) -> ActivitySubscription? {
        let subscription: ActivitySubscription? = state.withLock { state in
            guard !state.isShutDown else { return nil }
            state.nextID += 1
            let subscription = ActivitySubscription(id: state.nextID, userID: userID, method: method, bufferLimit: bufferLimit)
            state.subscriptions[userID, default: [:]][subscription.id] = subscription
            state.count += 1
            return subscription
        }
        // Registered outside the lock: termination runs `remove`, which takes the lock.
        subscription?.onTermination { [weak self, id = subscription?.id ?? 0] in self?.remove(id, of: userID) }
        return subscription
    }

    private func remove(_ id: UInt64, of userID: UserID) {
        state.withLock { state in
            guard state.subscriptions[userID]?.removeValue(forKey: id) != nil else { return }
            state.count -= 1
            if state.subscriptions[userID]?.isEmpty == true { state.subscriptions[userID] = nil }
        }
    }

    /// Delivers the events of `committed` to their users' streams, and closes the streams of a key it
    /// revokes. Runs on the commit path: it only takes a short lock and queues.
    public func publish(_ committed: CommittedMutation) {
        for event in committed.events {
            let listeners = state.withLock { Array(($0.subscriptions[event.userID] ?? [:]).values) }
            guard !listeners.isEmpty else { continue }
            let frame = ServerSentEvents.frame(of: event)
            for subscription in listeners { subscription.deliver(.event(event.id, frame)) }
        }
        if case .apiKeyRevoked(let revocation) = committed.mutation {
            closeStreams(authenticatedBy: .apiKey(revocation.id))
        }
    }

    /// Closes every stream opened with `method`: a revoked key's, or (once sessions exist) a logged-out
    /// session's.
    public func closeStreams(authenticatedBy method: AuthenticationMethod) {
        let matching = state.withLock { state in
            state.subscriptions.values.flatMap { $0.values.filter { $0.method == method } }
        }
        for subscription in matching { subscription.close(.credentialRevoked) }
    }

    /// Queues a heartbeat into every open stream.
    public func heartbeat() {
        let all = state.withLock { state in state.subscriptions.values.flatMap(\.values) }
        for subscription in all { subscription.deliver(.heartbeat) }
    }

    /// Closes every stream and refuses new ones (graceful shutdown).
    public func shutDown() {
        let all = state.withLock { state in
            state.isShutDown = true
            return state.subscriptions.values.flatMap(\.values)
        }
        for subscription in all { subscription.close(.shuttingDown) }
    }
}
