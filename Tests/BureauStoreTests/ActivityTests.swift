import BureauStore
import Synchronization
import Testing

@Suite("Recent activity")
struct ActivityTests {
    private func makeKey(of user: UserID, name: String = "CI") -> APIKeyRecord {
        StoreFixtures.apiKey(of: user, name: name, lookupID: "look\(Int.random(in: 0..<1_000_000))")
    }

    @Test("every kind of change yields its event, with the mutation's sequence as id, for its owner only")
    func eventsOfEachKind() throws {
        var state = StoreState()
        let ada = StoreFixtures.user()
        let bob = StoreFixtures.user("bob@example.com")
        #expect(try state.apply(.userCreated(ada), sequence: 1).isEmpty)
        try state.applyNext(.userCreated(bob))
        let key = makeKey(of: ada.id)
        let created = try state.apply(.apiKeyCreated(key), sequence: 3)
        #expect(created.map(\.kind) == [.apiKeyCreated])
        #expect(created.first?.id == ActivityEventID(sequence: 3))
        #expect(created.first?.subject == .apiKey(APIKeySummary(key)))
        let desktop = StoreFixtures.desktop(owner: ada.id, ordinal: 4)
        try state.applyNext(.desktopCreated(desktop))
        let renamed = try state.apply(
            .desktopUpdated(DesktopChange(id: desktop.id, name: "Renamed", status: nil, at: StoreFixtures.t0.adding(milliseconds: 5))),
            sequence: 5
        )
        guard case .desktop(let shown) = renamed.first?.subject else {
            Issue.record("no desktop event")
            return
        }
        #expect(shown.name == "Renamed" && renamed.first?.at == StoreFixtures.t0.adding(milliseconds: 5))
        let task = StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: 6)
        try state.applyNext(.taskCreated(TaskCreation(task: task, idempotency: nil)))
        try state.applyNext(.taskUpdated(TaskChange(id: task.id, status: .running, result: nil, at: StoreFixtures.t0)))
        try state.applyNext(.apiKeysUsed([APIKeyUse(id: key.id, at: StoreFixtures.t0)]))
        try state.applyNext(.apiKeyRevoked(APIKeyRevocation(id: key.id, at: StoreFixtures.t0)))
        let kinds = state.activity[ada.id]?.events.map(\.kind)
        #expect(kinds == [.apiKeyCreated, .desktopCreated, .desktopUpdated, .taskCreated, .taskUpdated, .apiKeyRevoked])
        #expect(state.activity[bob.id] == nil)
        let ids = state.activity[ada.id]?.events.map(\.id.sequence)
        #expect(ids == [3, 4, 5, 6, 7, 9])
    }

    @Test("deleting a desktop yields desktop.deleted, then task.updated for each task it cancelled, ids increasing")
    func deletionCascadeEvents() throws {
        var state = StoreState()
        let ada = StoreFixtures.user()
        try state.applyNext(.userCreated(ada))
        let desktop = StoreFixtures.desktop(owner: ada.id, ordinal: 2)
        try state.applyNext(.desktopCreated(desktop))
        let open = StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: 3)
        let done = StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: 4, status: .completed)
        let running = StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: 5, status: .running)
        for task in [open, done, running] { try state.applyNext(.taskCreated(TaskCreation(task: task, idempotency: nil))) }
        let events = try state.apply(.desktopDeleted(DesktopDeletion(id: desktop.id, at: StoreFixtures.t0)), sequence: 6)
        #expect(events.map(\.kind) == [.desktopDeleted, .taskUpdated, .taskUpdated])
        #expect(events.map(\.id.description) == ["6", "6.1", "6.2"])
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.id < $1.id })
        let cancelled = events.compactMap { event -> TaskID? in
            guard case .task(let task) = event.subject, task.status == .cancelled else { return nil }
            return task.id
        }
        #expect(cancelled == [open.id, running.id])
    }

    @Test("event ids print and parse as sequence[.index], and nothing else parses")
    func eventIDText() {
        #expect(ActivityEventID("42") == ActivityEventID(sequence: 42))
        #expect(ActivityEventID("42.3") == ActivityEventID(sequence: 42, index: 3))
        #expect(ActivityEventID(sequence: 42, index: 3).description == "42.3")
        for bad in ["", "-1", "1.0", "1.", ".1", "a", "1 ", "+1", "1.2.3", "99999999999999999999999"] {
            #expect(ActivityEventID(bad) == nil, "\(bad)")
        }
    }

    @Test("a user keeps at most the capacity; a resume from before the oldest kept event is a reset")
    func ringAndReplay() throws {
        var state = StoreState(activityCapacity: 3)
        let ada = StoreFixtures.user()
        try state.applyNext(.userCreated(ada))
        var desktops: [Desktop] = []
        for ordinal in 2...7 {
            let desktop = StoreFixtures.desktop(owner: ada.id, ordinal: UInt64(ordinal))
            desktops.append(desktop)
            try state.applyNext(.desktopCreated(desktop))
        }
        let kept = state.activity[ada.id]?.events.map(\.id.sequence)
        #expect(kept == [5, 6, 7])
        #expect(state.activity[ada.id]?.droppedThrough == ActivityEventID(sequence: 4))
        #expect(state.activityReplay(of: ada.id, after: nil) == .events([]))
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 4)) == .events(Array(state.activity[ada.id]!.events)))
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 6)).missed == [7])
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 7)) == .events([]))
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 3)) == .reset(through: ActivityEventID(sequence: 7)))
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 99)) == .reset(through: ActivityEventID(sequence: 7)))
        // Commits after the last durable one are left out, the reset's id included.
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 4), durableThrough: 6).missed == [5, 6])
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 6), durableThrough: 6) == .events([]))
        #expect(
            state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 3), durableThrough: 5) == .reset(through: ActivityEventID(sequence: 5))
        )
        #expect(
            state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 3), durableThrough: 4) == .reset(through: ActivityEventID(sequence: 4))
        )
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 3), durableThrough: 2) == .reset(through: nil))
        state.setActivityCapacity(1)
        #expect(state.activity[ada.id]?.events.map(\.id.sequence) == [7])
        #expect(state.activityReplay(of: ada.id, after: ActivityEventID(sequence: 5)) == .reset(through: ActivityEventID(sequence: 7)))
    }

    @Test("the ring stays exact across many compactions")
    func ringCompaction() throws {
        var state = StoreState(activityCapacity: 5)
        let ada = StoreFixtures.user()
        try state.applyNext(.userCreated(ada))
        for ordinal in 2...300 { try state.applyNext(.desktopCreated(StoreFixtures.desktop(owner: ada.id, ordinal: UInt64(ordinal)))) }
        #expect(state.activity[ada.id]?.events.map(\.id.sequence) == [296, 297, 298, 299, 300])
        #expect(state.activity[ada.id]?.droppedThrough == ActivityEventID(sequence: 295))
    }

    @Test("pages run newest first, before a given id")
    func pages() throws {
        var state = StoreState()
        let ada = StoreFixtures.user()
        try state.applyNext(.userCreated(ada))
        for ordinal in 2...6 { try state.applyNext(.desktopCreated(StoreFixtures.desktop(owner: ada.id, ordinal: UInt64(ordinal)))) }
        #expect(state.activityPage(of: ada.id, before: nil, limit: 2).map(\.id.sequence) == [6, 5])
        #expect(state.activityPage(of: ada.id, before: ActivityEventID(sequence: 5), limit: 10).map(\.id.sequence) == [4, 3, 2])
        #expect(state.activityPage(of: UserID.random(), before: nil, limit: 10).isEmpty)
    }

    @Test("observers get the events of each commit")
    func observersGetEvents() async throws {
        let store = BureauStore()
        let seen = Mutex<[ActivityKind]>([])
        store.observe { committed in seen.withLock { $0 += committed.events.map(\.kind) } }
        let ada = StoreFixtures.user()
        try await store.commit { _, _, _ in (.userCreated(ada), ()) }
        try await store.commit { _, sequence, _ in (.desktopCreated(StoreFixtures.desktop(owner: ada.id, ordinal: sequence)), ()) }
        #expect(seen.withLock { $0 } == [.desktopCreated])
    }
}

extension ActivityReplay {
    fileprivate var missed: [UInt64]? {
        guard case .events(let events) = self else { return nil }
        return events.map(\.id.sequence)
    }
}
