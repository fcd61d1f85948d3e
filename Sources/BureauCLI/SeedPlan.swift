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

    /// Creates every record through the domain's operations, writing each user's keys to `file` once they
    /// are committed.
    func apply(to operations: Operations, keysTo file: PrivateFile) async throws {
        var first = 1
        while first <= users {
            let batch = first...min(users, first + Self.usersPerBatch - 1)
            let keys = try await Self.mintedKeys(count: batch.count * keysPerUser, operations: operations)
            for (offset, index) in batch.enumerated() {
                let userKeys = keys[(offset * keysPerUser)..<((offset + 1) * keysPerUser)]
                try await createUser(index, keys: Array(userKeys), with: operations)
                try file.append(userKeys.map { $0.plaintext + "\n" }.joined())
            }
            first = batch.upperBound + 1
        }
    }

    private func createUser(_ index: Int, keys: [MintedAPIKey], with operations: Operations) async throws {
        let user = try await operations.createUser(NewUser(email: email(index), name: "Load User \(index)"))
        let owner = Requester.operator(user.id)
        for (number, material) in keys.enumerated() {
            _ = try await operations.createAPIKey(NewAPIKey(name: "load key \(number + 1)"), material: material, by: owner)
        }
        for desktopNumber in stride(from: 1, through: desktopsPerUser, by: 1) {
            let desktop = try await operations.createDesktop(NewDesktop(name: "desktop \(desktopNumber)"), by: owner)
            for taskNumber in 0..<tasksPerDesktop {
                let content = "Open the quarterly report on desktop \(desktopNumber) and summarise section \(taskNumber + 1)."
                let task = NewTask(type: TaskType.prompt.rawValue, content: content, desktopID: desktop.id.description)
                _ = try await operations.createTask(task, by: owner)
            }
        }
    }

    /// `count` new keys, minted (hashed) concurrently.
    private static func mintedKeys(count: Int, operations: Operations) async throws -> [MintedAPIKey] {
        var keys = [MintedAPIKey?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: (Int, MintedAPIKey).self) { group in
            for index in 0..<count {
                group.addTask { (index, try await operations.mintAPIKey()) }
            }
            for try await (index, key) in group { keys[index] = key }
        }
        return keys.compactMap { $0 }
    }
}
