import BureauStore
import NIOCore
import Synchronization

/// Fans committed activity out to the open streams of its user, and closes streams whose credential is
/// revoked. It is told of every commit on the store's write path, so it never waits: it holds each
/// commit's events until the journal says they are durable (a stream never announces a change that a
/// crash could still undo), then renders each event once and queues it into each stream's bounded
/// buffer, in sequence order; a stream that is full is closed instead.
///
/// The events themselves are kept in the store's state (``StoreState/activity``), so that resumes, the
/// activity list, snapshots and recovery all see the same history; the hub only holds who is listening.
public final class ActivityHub: Sendable {
    private struct State {
        var subscriptions: [UserID: [UInt64: ActivitySubscription]] = [:]
        var count = 0
        var isShutDown = false
        /// Commits with events, in sequence order, not yet known to be durable.
        var pending: [CommittedMutation] = []
        var durableThrough: UInt64 = 0
    }

    private let state = Mutex(State())
    private let nextID = Atomic<UInt64>(0)
    private let slowReadersDropped = Atomic<Int>(0)
    private let streamsRefused = Atomic<Int>(0)
    /// How many signals each stream may have queued before it is closed.
    public let bufferLimit: Int
    /// How many streams one user may hold open at once; 0 = no cap.
    public let maxStreamsPerUser: Int

    /// A hub whose streams each buffer at most `bufferLimit` signals, at most `maxStreamsPerUser` of them
    /// per user (0 = no cap); commits through `durableThrough` (those recovered from disk) are durable already.
    public init(bufferLimit: Int, maxStreamsPerUser: Int = 0, durableThrough: UInt64 = 0) {
        self.bufferLimit = bufferLimit
        self.maxStreamsPerUser = maxStreamsPerUser
        state.withLock { $0.durableThrough = durableThrough }
    }

    /// The sequence through which every commit is known to be durable. A stream's replay stops there: the
    /// events of later commits reach it live, once they are durable too.
    public var durableThrough: UInt64 { state.withLock { $0.durableThrough } }

    /// The number of open streams.
    public var openStreams: Int { state.withLock { $0.count } }

    /// Streams closed since start because their reader fell behind.
    public var droppedSlowReaders: Int { slowReadersDropped.load(ordering: .relaxed) }

    /// Streams refused since start because their user held `maxStreamsPerUser` already.
    public var refusedStreams: Int { streamsRefused.load(ordering: .relaxed) }

    /// Opens a subscription for `userID`'s events, or `nil` once the hub has shut down or while the user
    /// holds `maxStreamsPerUser` streams already.
    func subscribe(userID: UserID, method: Credential) -> ActivitySubscription? {
        try? openSubscription(userID: userID, method: method).get()
    }

    /// Opens a subscription for `userID`'s events, or says why not. The cap is checked and the
    /// subscription counted under one lock, so concurrent opens never exceed it; the slot is given back
    /// when the subscription ends, however it ends.
    func openSubscription(userID: UserID, method: Credential) -> Result<ActivitySubscription, SubscriptionRefusal> {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let subscription = ActivitySubscription(id: id, userID: userID, method: method, bufferLimit: bufferLimit)
        // In place before anyone else can see the subscription, so no close can come before it (a close
        // before the handler is set would run no handler, and the slot would be kept for good). Termination
        // runs `remove`, which takes the lock: never run it under the lock.
        subscription.onTermination { [weak self] in self?.remove(id, of: userID) }
        let refusal: SubscriptionRefusal? = state.withLock { state in
            guard !state.isShutDown else { return .shuttingDown }
            if maxStreamsPerUser > 0, state.subscriptions[userID, default: [:]].count >= maxStreamsPerUser {
                return .tooManyStreams(limit: maxStreamsPerUser)
            }
            state.subscriptions[userID, default: [:]][id] = subscription
            state.count += 1
            return nil
        }
        // A refused subscription goes when this returns, outside the lock; its termination finds nothing to remove.
        if let refusal {
            if case .tooManyStreams = refusal { streamsRefused.add(1, ordering: .relaxed) }
            return .failure(refusal)
        }
        return .success(subscription)
    }

    private func remove(_ id: UInt64, of userID: UserID) {
        state.withLock { state in
            guard state.subscriptions[userID]?.removeValue(forKey: id) != nil else { return }
            state.count -= 1
            if state.subscriptions[userID]?.isEmpty == true { state.subscriptions[userID] = nil }
        }
    }

    /// Takes the events of `committed` (delivered once durable), and at once closes the streams of a key
    /// it revokes. Runs on the commit path, in commit order: it only takes a short lock.
    public func publish(_ committed: CommittedMutation) {
        if !committed.events.isEmpty {
            state.withLock { $0.pending.append(committed) }
        }
        switch committed.mutation {
        case .apiKeyRevoked(let revocation), .apiKeyLeaked(let revocation):
            closeStreams(authenticatedBy: .apiKey(revocation.id))
        case .apiKeysRevokedUnused(let revocation):
            for id in revocation.ids { closeStreams(authenticatedBy: .apiKey(id)) }
        default:
            break
        }
        // A roll without grace ends the old key at once; with grace, the heartbeat closes its streams.
        if case .apiKeyRolled(let roll) = committed.mutation, roll.expiresAt <= roll.at {
            closeStreams(authenticatedBy: .apiKey(roll.id))
        }
    }

    /// Delivers, in order, the events of every pending commit up to `sequence`, now durable.
    public func markDurable(through sequence: UInt64) {
        let overflowed: [ActivitySubscription] = state.withLock { state in
            guard sequence > state.durableThrough else { return [] }
            state.durableThrough = sequence
            let ready = state.pending.prefix { $0.sequence <= sequence }
            guard !ready.isEmpty else { return [] }
            state.pending.removeFirst(ready.count)
            var overflowed: [ActivitySubscription] = []
            // Delivered under the lock so that two durability notices never interleave their events;
            // queuing never waits, and full streams are closed after the lock is released.
            for event in ready.flatMap(\.events) {
                guard let listeners = state.subscriptions[event.userID], !listeners.isEmpty else { continue }
                let frame = ServerSentEvents.frame(of: event)
                for subscription in listeners.values where !subscription.deliver(.event(event.id, frame)) {
                    overflowed.append(subscription)
                }
            }
            return overflowed
        }
        for subscription in overflowed { closeFellBehind(subscription) }
    }

    /// Closes every stream opened with `method`: a revoked key's, or (once sessions exist) a logged-out
    /// session's.
    public func closeStreams(authenticatedBy method: Credential) {
        let matching = state.withLock { state in
            state.subscriptions.values.flatMap { $0.values.filter { $0.method == method } }
        }
        for subscription in matching { subscription.close(.credentialRevoked) }
    }

    /// Closes every stream opened with a key that has expired by `store`'s clock. One read of the store
    /// for all of them, and none when no stream was opened with a key.
    public func closeStreamsOfExpiredKeys(in store: BureauStore) {
        let keyed = state.withLock { state in
            state.subscriptions.values.flatMap { subscriptions in
                subscriptions.values.filter { if case .apiKey = $0.method { true } else { false } }
            }
        }
        guard !keyed.isEmpty else { return }
        let now = store.now()
        let expired = store.read { state in
            keyed.filter { subscription in
                guard case .apiKey(let id) = subscription.method else { return false }
                return state.apiKeys[id]?.hasExpired(at: now) == true
            }
        }
        for subscription in expired { subscription.close(.credentialRevoked) }
    }

    /// Queues a heartbeat into every open stream.
    public func heartbeat() {
        let all = state.withLock { state in state.subscriptions.values.flatMap(\.values) }
        for subscription in all where !subscription.deliver(.heartbeat) { closeFellBehind(subscription) }
    }

    private func closeFellBehind(_ subscription: ActivitySubscription) {
        slowReadersDropped.add(1, ordering: .relaxed)
        subscription.close(.fellBehind)
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
