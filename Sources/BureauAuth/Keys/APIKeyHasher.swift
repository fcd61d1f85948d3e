import HummingbirdBcrypt
import NIOPosix

/// Computes and checks bcrypt hashes of keys on NIO's blocking thread pool, never on the event loop.
public struct APIKeyHasher: Sendable {
    /// bcrypt cost of new hashes (4–31).
    public let cost: Int
    private let threadPool: NIOThreadPool

    /// A hasher for new hashes at `cost`, running on `threadPool`.
    public init(cost: Int, threadPool: NIOThreadPool = .singleton) {
        precondition((4...31).contains(cost), "bcrypt cost must be 4–31")
        self.cost = cost
        self.threadPool = threadPool
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
        return try await threadPool.runIfActive { Bcrypt.verify(plaintext, hash: hash) }
    }
}
