import BureauAuth
import BureauStore
import Synchronization

/// The real key material (format and bcrypt), with a switch that holds new keys back until the test lets
/// them go: requests creating keys then stay in flight, between the access check and their commit, for as
/// long as a test needs to revoke or log out under them.
final class HeldMinter: APIKeyMinter {
    private let hasher: APIKeyHasher
    private let gate = Mutex<(held: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    init(hasher: APIKeyHasher = APIKeyHasher(cost: 4)) {
        self.hasher = hasher
    }

    /// Makes later mints wait until ``release()``.
    func hold() { gate.withLock { $0.held = true } }

    /// Lets every waiting and later mint go on.
    func release() {
        let waiting = gate.withLock { state in
            state.held = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// How many mints are waiting.
    var waitingCount: Int { gate.withLock { $0.waiting.count } }

    func mint() async throws -> MintedAPIKey {
        await withCheckedContinuation { continuation in
            let resumeNow = gate.withLock { state -> Bool in
                guard state.held else { return true }
                state.waiting.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        return try await hasher.mint()
    }

    func material(of plaintext: String) async throws -> MintedAPIKey? {
        try await hasher.material(of: plaintext)
    }
}
