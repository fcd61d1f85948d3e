import Synchronization

/// A gate that tests close to hold work in flight (a key being minted, say) and open to let it go on: the
/// way to race a revocation or a logout against a request deterministically, without sleeping.
public final class Gate: Sendable {
    private let state = Mutex<(closed: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    /// An open gate.
    public init() {}

    /// Makes later ``pass()`` calls wait until ``open()``.
    public func close() { state.withLock { $0.closed = true } }

    /// Lets every waiting and later ``pass()`` call go on.
    public func open() {
        let waiting = state.withLock { state in
            state.closed = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// How many calls wait at the gate.
    public var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Returns at once while the gate is open; otherwise once it opens.
    public func pass() async {
        await withCheckedContinuation { continuation in
            let goOn = state.withLock { state -> Bool in
                guard state.closed else { return true }
                state.waiting.append(continuation)
                return false
            }
            if goOn { continuation.resume() }
        }
    }
}
