import BureauStore
import BureauTestSupport
import Foundation
import Synchronization

/// Key material without bcrypt: distinct fake keys, and a way to hold minting until a test lets it go (to
/// race a revocation or a logout against a creation in flight).
final class FakeMinter: APIKeyMinter {
    private let counter = Atomic<Int>(0)
    /// Mints pass through it: closed, they wait.
    let gate = Gate()

    func mint() async throws -> MintedAPIKey {
        await gate.pass()
        let number = counter.add(1, ordering: .relaxed).newValue
        let lookup = String(String(number, radix: 36).reversed()).padding(toLength: 12, withPad: "x", startingAt: 0)
        return MintedAPIKey(plaintext: "lb_k_\(lookup)secret", lookupID: lookup, lastFour: "cret", secretHash: "$2b$04$fake\(number)")
    }

    func material(of plaintext: String) async throws -> MintedAPIKey? {
        guard plaintext.hasPrefix("lb_k_"), plaintext.count > 17 else { return nil }
        let lookup = String(plaintext.dropFirst(5).prefix(12))
        return MintedAPIKey(plaintext: plaintext, lookupID: lookup, lastFour: String(plaintext.suffix(4)), secretHash: "$2b$04$fake")
    }
}

/// A clock for the store that tests move by hand.
final class StoreClock: Sendable {
    private let time: Mutex<Timestamp>
    init(_ start: Timestamp = StoreFixtures.t0) { time = Mutex(start) }
    var now: Timestamp { time.withLock { $0 } }
    func advance(milliseconds: Int64) {
        time.withLock { $0 = Timestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch + milliseconds) }
    }
}

/// A store with operations over it, a fake minter and a manual clock.
struct OperationsFixture {
    let clock = StoreClock()
    let minter = FakeMinter()
    let store: BureauStore
    let operations: Operations

    init(policy: OperationPolicy = OperationPolicy()) {
        let clock = clock
        store = BureauStore(now: { clock.now })
        operations = Operations(store: store, policy: policy, minter: minter)
    }

    /// A user signed in with a key: the principal acting with that key.
    func keyHolder(_ email: String = "ada@example.com") async throws -> Principal {
        let user = try await operations.createUser(NewUser(email: email))
        let key = try await operations.createAPIKey(NewAPIKey(name: "first"), by: .operator(user.id))
        return Principal(userID: user.id, credential: .apiKey(key.record.id))
    }

    /// A user signed in with a session.
    func sessionHolder(_ email: String = "ada@example.com", digestByte: UInt8 = 1) async throws -> Principal {
        let digest = SessionDigest(bytes: [UInt8](repeating: digestByte, count: 32))!
        let (user, session) = try await operations.signIn(NewUser(email: email), sessionDigest: digest)
        return Principal(userID: user.id, credential: .session(session.id))
    }
}
