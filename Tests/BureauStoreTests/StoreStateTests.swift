import BureauStore
import Testing

@Suite("StoreState")
struct StoreStateTests {
    @Test("sequences must be strictly consecutive")
    func consecutiveSequences() throws {
        var state = StoreState()
        #expect(throws: InconsistentMutation.self) { try state.apply(.userCreated(StoreFixtures.user()), sequence: 2) }
        try state.apply(.userCreated(StoreFixtures.user()), sequence: 1)
        #expect(state.sequence == 1)
        #expect(throws: InconsistentMutation.self) { try state.apply(.userCreated(StoreFixtures.user("b@example.com")), sequence: 1) }
    }

    @Test("an email is unique")
    func uniqueEmail() throws {
        var state = StoreState()
        try state.applyNext(.userCreated(StoreFixtures.user()))
        let before = state
        #expect(throws: InconsistentMutation.self) { try state.applyNext(.userCreated(StoreFixtures.user())) }
        #expect(state == before)
    }

    @Test("the task status machine allows exactly the documented transitions")
    func statusMachine() {
        let allowed: Set<String> = ["queued→running", "running→completed", "running→failed", "queued→cancelled", "running→cancelled"]
        for from in TaskStatus.allCases {
            for to in TaskStatus.allCases {
                #expect(from.canMove(to: to) == allowed.contains("\(from.rawValue)→\(to.rawValue)"), "\(from) → \(to)")
            }
        }
    }

    @Test("deleting a desktop cancels its unfinished tasks and leaves finished ones")
    func deleteCascades() throws {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        let desktop = StoreFixtures.desktop(owner: user.id, ordinal: 2)
        try state.applyNext(.desktopCreated(desktop))
        let queued = StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: 3)
        let done = StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: 4)
        try state.applyNext(.taskCreated(TaskCreation(task: queued, idempotency: nil)))
        try state.applyNext(.taskCreated(TaskCreation(task: done, idempotency: nil)))
        let later = StoreFixtures.t0.adding(milliseconds: 5)
        try state.applyNext(.taskUpdated(TaskChange(id: done.id, status: .running, result: nil, at: later)))
        try state.applyNext(.taskUpdated(TaskChange(id: done.id, status: .completed, result: "ok", at: later)))
        try state.applyNext(.desktopDeleted(DesktopDeletion(id: desktop.id, at: later)))
        #expect(state.desktops[desktop.id] == nil)
        #expect(state.desktopIDsByOwner[user.id] == nil)
        #expect(state.tasks[queued.id]?.status == .cancelled)
        #expect(state.tasks[queued.id]?.updatedAt == later)
        #expect(state.tasks[done.id]?.status == .completed)
        #expect(state.tasks[done.id]?.result == "ok")
    }

    @Test("an invalid transition is refused and changes nothing")
    func invalidTransition() throws {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        let desktop = StoreFixtures.desktop(owner: user.id, ordinal: 2)
        try state.applyNext(.desktopCreated(desktop))
        let task = StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: 3)
        try state.applyNext(.taskCreated(TaskCreation(task: task, idempotency: nil)))
        let before = state
        #expect(throws: InconsistentMutation.self) {
            try state.applyNext(.taskUpdated(TaskChange(id: task.id, status: .completed, result: nil, at: StoreFixtures.t0)))
        }
        #expect(state == before)
    }

    @Test("a task on another user's desktop is refused")
    func taskOwnership() throws {
        var state = StoreState()
        let ada = StoreFixtures.user()
        let bob = StoreFixtures.user("bob@example.com")
        try state.applyNext(.userCreated(ada))
        try state.applyNext(.userCreated(bob))
        let desktop = StoreFixtures.desktop(owner: ada.id, ordinal: 3)
        try state.applyNext(.desktopCreated(desktop))
        #expect(throws: InconsistentMutation.self) {
            try state.applyNext(
                .taskCreated(TaskCreation(task: StoreFixtures.task(owner: bob.id, desktop: desktop.id, ordinal: 4), idempotency: nil))
            )
        }
    }

    @Test("revocation removes a key from lookup and from the user's active keys, and keeps the record")
    func revocation() throws {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        let key = StoreFixtures.apiKey(of: user.id)
        try state.applyNext(.apiKeyCreated(key))
        #expect(state.activeKey(lookupID: "abcdefghijkl")?.id == key.id)
        try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: key.id, at: StoreFixtures.t0)))
        #expect(state.activeKey(lookupID: "abcdefghijkl") == nil)
        #expect(state.activeKeys(of: user.id).isEmpty)
        #expect(state.apiKeys[key.id]?.revokedAt == StoreFixtures.t0)
        #expect(throws: InconsistentMutation.self) {
            try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: key.id, at: StoreFixtures.t0)))
        }
    }

    @Test("lastUsedAt only moves forward")
    func lastUsedMonotonic() throws {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        let key = StoreFixtures.apiKey(of: user.id)
        try state.applyNext(.apiKeyCreated(key))
        let later = StoreFixtures.t0.adding(milliseconds: 1000)
        try state.applyNext(.apiKeysUsed([APIKeyUse(id: key.id, at: later)]))
        try state.applyNext(.apiKeysUsed([APIKeyUse(id: key.id, at: StoreFixtures.t0)]))
        #expect(state.apiKeys[key.id]?.lastUsedAt == later)
    }
}

@Suite("StoreState rebuilt from records")
struct StoreStateRestoreTests {
    @Test("equals the live state after deletions and revocations emptied index entries")
    func rebuiltEqualsLive() throws {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        let key = StoreFixtures.apiKey(of: user.id)
        try state.applyNext(.apiKeyCreated(key))
        let desktop = StoreFixtures.desktop(owner: user.id, ordinal: state.sequence + 1)
        try state.applyNext(.desktopCreated(desktop))
        let task = StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: state.sequence + 1)
        try state.applyNext(.taskCreated(TaskCreation(task: task, idempotency: nil)))
        try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: key.id, at: StoreFixtures.t0)))
        try state.applyNext(.desktopDeleted(DesktopDeletion(id: desktop.id, at: StoreFixtures.t0)))
        var rebuilt = try StoreState(
            sequence: state.sequence,
            users: Array(state.users.values),
            apiKeys: Array(state.apiKeys.values),
            desktops: Array(state.desktops.values),
            tasks: Array(state.tasks.values),
            idempotency: Array(state.idempotency.values)
        )
        // Recent activity is restored from its own records (a snapshot's activity section).
        for (userID, recent) in state.activity { rebuilt.restoreActivity(of: userID, recent) }
        #expect(rebuilt == state)
    }
}
