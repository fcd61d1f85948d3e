import BureauStore

/// Builders for store tests: plain values with fixed times, so results are reproducible.
enum StoreFixtures {
    static let t0 = Timestamp(millisecondsSinceEpoch: 1_795_341_600_000)

    static func user(_ email: String = "ada@example.com") -> User {
        User(id: .random(), email: email, name: "Ada", createdAt: t0)
    }

    /// An active key record of `user` with a fixed lookup id (unique per state is the caller's concern).
    static func apiKey(of user: UserID, name: String = "CI", lookupID: String = "abcdefghijkl") -> APIKeyRecord {
        APIKeyRecord(
            id: .random(),
            userID: user,
            name: name,
            lookupID: lookupID,
            secretHash: "$2b$04$x",
            lastFour: "9f3a",
            createdAt: t0
        )
    }

    static func desktop(owner: UserID, ordinal: UInt64, name: String = "Desk") -> Desktop {
        Desktop(id: .random(), ownerID: owner, name: name, status: .running, createdAt: t0, updatedAt: t0, ordinal: ordinal)
    }

    static func task(owner: UserID, desktop: DesktopID, ordinal: UInt64, status: TaskStatus = .queued) -> MissionTask {
        MissionTask(
            id: .random(),
            ownerID: owner,
            desktopID: desktop,
            type: .prompt,
            content: "Run tests",
            status: status,
            result: nil,
            createdAt: t0,
            updatedAt: t0,
            ordinal: ordinal
        )
    }
}

extension StoreState {
    /// Applies `mutation` as the next sequence.
    mutating func applyNext(_ mutation: Mutation) throws {
        try apply(mutation, sequence: sequence + 1)
    }
}
