import BureauAuth
import BureauStore

/// Creates the `seed` section's users, desktops and keys, through the domain's operations, when the store
/// is empty.
struct Seeder {
    let operations: Operations

    /// Applies `seed` if the store has never been written to; returns whether it did.
    @discardableResult
    func apply(_ seed: SeedSection) async throws -> Bool {
        guard operations.store.read({ $0.sequence == 0 }) else { return false }
        try Self.check(seed)
        for seedUser in seed.users {
            let user = try await operations.createUser(NewUser(email: seedUser.email, name: seedUser.name))
            let owner = Requester.operator(user.id)
            for seedKey in seedUser.apiKeys {
                _ = try await operations.importAPIKey(NewAPIKey(name: seedKey.name), plaintext: seedKey.plaintext, by: owner)
            }
            for desktop in seedUser.desktops {
                _ = try await operations.createDesktop(NewDesktop(name: desktop.name, status: desktop.status), by: owner)
            }
        }
        return true
    }

    /// Checks the whole section with the domain's rules before anything is written, so a bad seed leaves
    /// the store empty.
    static func check(_ seed: SeedSection) throws(ConfigurationError) {
        var emails = Set<String>()
        var lookupIDs = Set<String>()
        for user in seed.users {
            let email = User.normalise(email: user.email)
            if let problem = NewUser(email: user.email, name: user.name).problems.first {
                throw ConfigurationError("seed user \"\(email)\": \(problem)")
            }
            guard emails.insert(email).inserted else { throw ConfigurationError("seed user \(email) appears twice") }
            for key in user.apiKeys {
                if let problem = NewAPIKey(name: key.name).problems.first {
                    throw ConfigurationError("seed key of \(email): \(problem)")
                }
                guard let parsed = APIKeyFormat.parse(key.plaintext) else {
                    throw ConfigurationError("seed key \"\(key.name)\" of \(email) is not a valid lb_k_ key (wrong length, characters or checksum)")
                }
                guard lookupIDs.insert(parsed.lookupID).inserted else {
                    throw ConfigurationError("seed key \"\(key.name)\" of \(email) is given twice")
                }
            }
            for desktop in user.desktops {
                if let problem = NewDesktop(name: desktop.name, status: desktop.status).problems.first {
                    throw ConfigurationError("seed desktop \"\(desktop.name)\" of \(email): \(problem)")
                }
            }
        }
    }
}
