import BureauAuth
import BureauStore

/// What `bureau seed` creates, and how: users `user1@DOMAIN...`, each with its keys, desktops and tasks,
/// every record committed through the store like any other change.
struct SeedPlan: Sendable {
    /// Users to create.
    var users: Int
    /// API keys per user.
    var keysPerUser: Int
    /// Running desktops per user.
    var desktopsPerUser: Int
    /// Queued tasks per desktop.
    var tasksPerDesktop: Int
    /// The domain of the generated emails.
    var emailDomain: String
    /// `auth.max_keys_per_user`: `keysPerUser` may not exceed it.
    var maxKeysPerUser: Int

    /// Users whose keys are hashed together (bcrypt runs on every core while the store waits).
    static let usersPerBatch = 64

    /// The email of the `index`th user (from 1).
    func email(_ index: Int) -> String { "user\(index)@\(emailDomain)" }

    /// Refuses a directory that already holds state (unless `force`), a count of keys beyond the per-user
    /// cap, and any email that already exists, before anything is written.
    func check(against store: BureauStore, force: Bool) throws(CommandFailure) {
        guard keysPerUser <= maxKeysPerUser else {
            throw CommandFailure("--keys-per-user \(keysPerUser) is above auth.max_keys_per_user (\(maxKeysPerUser))")
        }
        let (sequence, taken) = store.read { state in
            (state.sequence, (1...users).lazy.map(email).first { state.user(email: $0) != nil })
        }
        guard sequence == 0 || force else {
            throw CommandFailure("the data directory already holds state (sequence \(sequence)); --force adds to it")
        }
        if let taken { throw CommandFailure("a user with email \(taken) already exists; choose another --email-domain") }
    }

    /// Creates every record, writing each user's keys to `file` once they are committed.
    func apply(to store: BureauStore, hasher: APIKeyHasher, keysTo file: PrivateFile) async throws {
        var first = 1
        while first <= users {
            let batch = first...min(users, first + Self.usersPerBatch - 1)
            let keys = try await Self.hashedKeys(count: batch.count * keysPerUser, hasher: hasher)
            for (offset, index) in batch.enumerated() {
                let userKeys = keys[(offset * keysPerUser)..<((offset + 1) * keysPerUser)]
                try await createUser(index, keys: Array(userKeys), in: store)
                try file.append(userKeys.map { $0.key.plaintext + "\n" }.joined())
            }
            first = batch.upperBound + 1
        }
    }

    private func createUser(_ index: Int, keys: [(key: ParsedAPIKey, hash: String)], in store: BureauStore) async throws {
        let email = email(index)
        let userID = try await store.commit { _, _, now -> (Mutation?, UserID) in
            let user = User(id: .random(), email: email, name: "Load User \(index)", createdAt: now)
            return (.userCreated(user), user.id)
        }
        for (number, generated) in keys.enumerated() {
            try await store.commit { state, _, now -> (Mutation?, Void) in
                guard state.activeKey(lookupID: generated.key.lookupID) == nil else { throw CommandFailure("key id collision; run again") }
                let record = APIKeyRecord(
                    id: .random(),
                    userID: userID,
                    name: "load key \(number + 1)",
                    lookupID: generated.key.lookupID,
                    secretHash: generated.hash,
                    lastFour: generated.key.lastFour,
                    createdAt: now
                )
                return (.apiKeyCreated(record), ())
            }
        }
        for desktopNumber in stride(from: 1, through: desktopsPerUser, by: 1) {
            let desktopID = try await store.commit { _, sequence, now -> (Mutation?, DesktopID) in
                let desktop = Desktop(
                    id: .random(),
                    ownerID: userID,
                    name: "desktop \(desktopNumber)",
                    status: .running,
                    createdAt: now,
                    updatedAt: now,
                    ordinal: sequence
                )
                return (.desktopCreated(desktop), desktop.id)
            }
            for taskNumber in 0..<tasksPerDesktop {
                try await store.commit { _, sequence, now -> (Mutation?, Void) in
                    let task = MissionTask(
                        id: .random(),
                        ownerID: userID,
                        desktopID: desktopID,
                        type: .prompt,
                        content: "Open the quarterly report on desktop \(desktopNumber) and summarise section \(taskNumber + 1).",
                        status: .queued,
                        result: nil,
                        createdAt: now,
                        updatedAt: now,
                        ordinal: sequence
                    )
                    return (.taskCreated(TaskCreation(task: task, idempotency: nil)), ())
                }
            }
        }
    }

    /// `count` new keys with their hashes, hashed concurrently.
    private static func hashedKeys(count: Int, hasher: APIKeyHasher) async throws -> [(key: ParsedAPIKey, hash: String)] {
        let keys = (0..<count).map { _ in APIKeyFormat.generate() }
        var hashes = [String](repeating: "", count: count)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, key) in keys.enumerated() {
                group.addTask { (index, try await hasher.hash(key)) }
            }
            for try await (index, hash) in group { hashes[index] = hash }
        }
        return Array(zip(keys, hashes)).map { (key: $0.0, hash: $0.1) }
    }
}
