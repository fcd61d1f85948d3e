import Logging
import Synchronization

/// Owns the state. Writes are serialised through the actor: each is planned against the current state,
/// journaled, then applied, with no suspension in between, so the journal's order is the state's order.
/// Reads take a short lock on the state and never wait for the actor.
public actor BureauStore {
    /// The live state. Readers use ``read(_:)``; only the actor writes.
    private nonisolated let state: Mutex<StoreState>
    private let journal: any MutationJournal
    private let logger: Logger
    private let observers: Mutex<[@Sendable (CommittedMutation) -> Void]>
    private let durabilityObservers: Mutex<[@Sendable (UInt64) -> Void]>
    /// The time source for planned mutations; tests inject a fixed clock.
    public nonisolated let now: @Sendable () -> Timestamp

    /// A store that starts from `state` (empty, or recovered from disk) and journals to `journal`.
    public init(
        state: StoreState = StoreState(),
        journal: any MutationJournal = EphemeralJournal(),
        logger: Logger = Logger(label: "bureau.store"),
        now: @escaping @Sendable () -> Timestamp = { Timestamp.now() }
    ) {
        self.state = Mutex(state)
        self.journal = journal
        self.logger = logger
        self.observers = Mutex([])
        self.durabilityObservers = Mutex([])
        self.now = now
    }

    /// Runs `body` on the current state under a short lock. Never call back into the store from `body`.
    public nonisolated func read<Result>(_ body: (borrowing StoreState) throws -> Result) rethrows -> Result {
        try state.withLock { try body($0) }
    }

    /// A copy of the whole state (copy-on-write: cheap now, the maps are copied on the next write).
    public nonisolated func copyState() -> StoreState {
        state.withLock { $0 }
    }

    /// Registers `observer` to be told of every committed mutation, in order, on the writer's path:
    /// it must return quickly and never block.
    public nonisolated func observe(_ observer: @escaping @Sendable (CommittedMutation) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Registers `observer` to be told, after each commit, the sequence through which the journal is now
    /// durable. Calls may arrive out of order (concurrent commits share one sync); a sequence implies all
    /// before it. Like ``observe(_:)``, it must return quickly and never block.
    public nonisolated func observeDurability(_ observer: @escaping @Sendable (UInt64) -> Void) {
        durabilityObservers.withLock { $0.append(observer) }
    }

    /// Plans a mutation against the current state, journals it, applies it, waits until it is durable,
    /// and returns what `plan` produced. If `plan` throws, nothing happens. If `plan` returns no mutation
    /// (an idempotent replay, say), nothing is written, but the call still waits until everything it could
    /// have observed is durable, so its answer never acknowledges a write that could be lost.
    ///
    /// - Parameter plan: receives the current state and the sequence and time the mutation will carry;
    ///   returns the mutation (or `nil`) and the value to hand back to the caller.
    public func commit<Output: Sendable>(
        _ plan: (borrowing StoreState, _ sequence: UInt64, _ now: Timestamp) throws -> (Mutation?, Output)
    ) async throws -> Output {
        let time = now()
        let (planned, output, sequence) = try state.withLock { current in
            let sequence = current.sequence + 1
            let (mutation, output) = try plan(current, sequence, time)
            if let mutation {
                do throws(InconsistentMutation) {
                    try current.validate(mutation)
                } catch {
                    throw StoreError.invalid(error)
                }
            }
            return (mutation, output, sequence)
        }
        guard let mutation = planned else {
            try await journal.waitUntilDurable(sequence - 1)
            return output
        }
        do {
            try journal.append(mutation, sequence: sequence)
        } catch {
            logger.error("journal refused a write", metadata: ["sequence": "\(sequence)", "error": "\(error)"])
            throw StoreError.unavailable("the data directory cannot take writes right now")
        }
        let events = try state.withLock { current in
            do throws(InconsistentMutation) {
                return try current.apply(mutation, sequence: sequence)
            } catch {
                // Unreachable: the mutation was validated against this very state with no suspension since.
                throw StoreError.invalid(error)
            }
        }
        let committed = CommittedMutation(sequence: sequence, mutation: mutation, events: events)
        for observer in observers.withLock({ $0 }) { observer(committed) }
        try await journal.waitUntilDurable(sequence)
        for observer in durabilityObservers.withLock({ $0 }) { observer(sequence) }
        return output
    }
}

/// A mutation together with the sequence number it was committed under and the activity events it produced.
public struct CommittedMutation: Sendable, Hashable {
    public var sequence: UInt64
    public var mutation: Mutation
    /// The events of users' activity the mutation produced, in id order.
    public var events: [ActivityEvent]
    public init(sequence: UInt64, mutation: Mutation, events: [ActivityEvent] = []) {
        self.sequence = sequence
        self.mutation = mutation
        self.events = events
    }
}
