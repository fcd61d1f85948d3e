import BureauAuth
import BureauStore
import BureauTestSupport

/// The real key material (format and bcrypt), with a switch that holds new keys back until the test lets
/// them go: requests creating keys then stay in flight, between the access check and their commit, for as
/// long as a test needs to revoke or log out under them.
final class HeldMinter: APIKeyMinter {
    private let hasher: APIKeyHasher
    /// Mints pass through it: closed, they wait.
    let gate = Gate()

    init(hasher: APIKeyHasher = APIKeyHasher(cost: 4)) {
        self.hasher = hasher
    }

    func mint() async throws -> MintedAPIKey {
        await gate.pass()
        return try await hasher.mint()
    }

    func material(of plaintext: String) async throws -> MintedAPIKey? {
        try await hasher.material(of: plaintext)
    }
}
