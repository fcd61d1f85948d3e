import BureauAuth
import BureauStore

/// Creates the `seed` section's users, desktops and keys, through ordinary mutations, when the store is empty.
struct Seeder {
    let store: BureauStore
    let hasher: APIKeyHasher

    /// Applies `seed` if the store has never been written to; returns whether it did.
    @discardableResult
    func apply(_ seed: SeedSection) async throws -> Bool {
        guard store.read({ $0.sequence == 0 }) else { return false }
        try Self.check(seed)
        for user in seed.users {
            let email = User.normalise(email: user.email)
            let userID = try await store.commit { _, _, now -> (Mutation?, UserID) in
                let record = User(id: .random(), email: email, name: user.name, createdAt: now)
                return (.userCreated(record), record.id)
            }
            for seedKey in user.apiKeys {
                guard let key = APIKeyFormat.parse(seedKey.plaintext) else {
                    throw ConfigurationError(
                        "seed key \"\(seedKey.name)\" of \(email) is not a valid lb_k_ key (wrong length, characters or checksum)"
                    )
                }
                let hash = try await hasher.hash(key)
                try await store.commit { _, _, now -> (Mutation?, Void) in
                    let record = APIKeyRecord(
                        id: .random(),
                        userID: userID,
                        name: seedKey.name,
                        lookupID: key.lookupID,
                        secretHash: hash,
                        lastFour: key.lastFour,
                        createdAt: now
                    )
                    return (.apiKeyCreated(record), ())
                }
            }
            for desktop in user.desktops {
                let status = DesktopStatus(rawValue: desktop.status) ?? .running
                try await store.commit { _, sequence, now -> (Mutation?, Void) in
                    let record = Desktop(
                        id: .random(),
                        ownerID: userID,
                        name: desktop.name,
                        status: status,
                        createdAt: now,
                        updatedAt: now,
                        ordinal: sequence
                    )
                    return (.desktopCreated(record), ())
                }
            }
        }
        return true
    }

    /// Checks the whole section before anything is written, so a bad seed leaves the store empty.
    static func check(_ seed: SeedSection) throws(ConfigurationError) {
        var emails = Set<String>()
        var lookupIDs = Set<String>()
        for user in seed.users {
            let email = User.normalise(email: user.email)
            guard email.contains("@"), email.count <= 254 else { throw ConfigurationError("seed user email \"\(email)\" is not an email address") }
            guard emails.insert(email).inserted else { throw ConfigurationError("seed user \(email) appears twice") }
            for key in user.apiKeys {
                guard (1...100).contains(key.name.count) else { throw ConfigurationError("seed key names must be 1 to 100 characters") }
                guard let parsed = APIKeyFormat.parse(key.plaintext) else {
                    throw ConfigurationError("seed key \"\(key.name)\" of \(email) is not a valid lb_k_ key (wrong length, characters or checksum)")
                }
                guard lookupIDs.insert(parsed.lookupID).inserted else {
                    throw ConfigurationError("seed key \"\(key.name)\" of \(email) is given twice")
                }
            }
            for desktop in user.desktops {
                guard (1...100).contains(desktop.name.count) else { throw ConfigurationError("seed desktop names must be 1 to 100 characters") }
                guard DesktopStatus(rawValue: desktop.status) != nil else {
                    throw ConfigurationError("seed desktop \"\(desktop.name)\" has status \"\(desktop.status)\" (expected running or stopped)")
                }
            }
        }
    }
}
