import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Computes and checks bcrypt hashes of keys on NIO's blocking thread pool, never on the event loop.
public struct APIKeyHasher: Sendable {
    /// bcrypt cost of new hashes (4–31).
    public let cost: Int
    private let threadPool: NIOThreadPool
    private let counters: Counters

    /// How many bcrypt verifications have run (the cached path runs none): for metrics and tests.
    public var verificationCount: Int { counters.verifications.load(ordering: .relaxed) }

    private final class Counters: Sendable {
        let verifications = Atomic<Int>(0)
    }

    /// A hasher for new hashes at `cost`, running on `threadPool`.
    public init(cost: Int, threadPool: NIOThreadPool = .singleton) {
        precondition((4...31).contains(cost), "bcrypt cost must be 4–31")
        self.cost = cost
        self.threadPool = threadPool
        self.counters = Counters()
    }

    /// A bcrypt hash of `key`'s plaintext.
    public func hash(_ key: ParsedAPIKey) async throws -> String {
        let plaintext = key.plaintext
        let cost = UInt8(cost)
        return try await threadPool.runIfActive { Bcrypt.hash(plaintext, cost: cost) }
    }

    /// Whether `key` matches `hash`.
    public func verify(_ key: ParsedAPIKey, hash: String) async throws -> Bool {
        let plaintext = key.plaintext
        counters.verifications.add(1, ordering: .relaxed)
        return try await threadPool.runIfActive { Bcrypt.verify(plaintext, hash: hash) }
    }
}
