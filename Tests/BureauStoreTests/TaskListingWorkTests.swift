import Testing

@testable import BureauStore

@Suite("Task listings read only what they return")
struct TaskListingWorkTests {
    static let taskCount = 200_000

    // The big states are built once and kept for the life of the test process: freeing megabytes of
    // tables would leave large free chunks in the allocator, which other suites (heap thresholds) notice.
    static let noneFailed = Result { try bigState { $0 % 2 == 0 ? .queued : .completed } }
    static let oldestFailed = Result { try bigState { $0 < 3 ? .failed : .queued } }

    /// One user with `taskCount` tasks on one desktop, each of `status(index)`, restored from records (the
    /// way a snapshot is loaded) so that building it stays quick.
    static func bigState(count: Int = taskCount, status: (Int) -> TaskStatus) throws -> (state: StoreState, user: UserID, desktop: DesktopID) {
        let user = StoreFixtures.user()
        let desktop = StoreFixtures.desktop(owner: user.id, ordinal: 2)
        var tasks: [MissionTask] = []
        tasks.reserveCapacity(count)
        for index in 0..<count {
            tasks.append(StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: UInt64(index + 3), status: status(index)))
        }
        let state = try StoreState(
            sequence: UInt64(count + 2),
            users: [user],
            apiKeys: [],
            desktops: [desktop],
            tasks: tasks,
            idempotency: []
        )
        return (state, user.id, desktop.id)
    }

    /// Task records the listing reads, and its page.
    static func listing(
        _ state: StoreState,
        _ user: UserID,
        desktop: DesktopID? = nil,
        status: TaskStatus?,
        before: UInt64? = nil,
        limit: Int
    ) -> (visits: Int, page: Page<MissionTask>) {
        var visits = 0
        let page = state.tasks(of: user, desktopID: desktop, status: status, before: before, limit: limit, visits: &visits)
        return (visits, page)
    }

    /// Reads allowed for a page of `limit`: its tasks, one to check a desktop's owner, and a binary search
    /// for a cursor (log2 of 200,000 is under 18).
    static func bound(limit: Int, cursor: Bool) -> Int { limit + 1 + (cursor ? 19 : 0) }

    @Test("?status=failed&limit=1 over 200,000 tasks of which none failed reads no more than a page's worth")
    func noMatch() throws {
        let (state, user, desktop) = try Self.noneFailed.get()
        for filter in [nil, desktop] {
            for before in [nil, UInt64(Self.taskCount / 2), .max] {
                let (visits, page) = Self.listing(state, user, desktop: filter, status: .failed, before: before, limit: 1)
                #expect(page.items.isEmpty)
                #expect(page.next == nil)
                #expect(visits <= Self.bound(limit: 1, cursor: before != nil))
            }
        }
    }

    @Test("the only matches, at the far end of 200,000 tasks, cost a page's reads, and so does each page after")
    func farMatches() throws {
        // The three oldest tasks failed; every other task is queued.
        let (state, user, desktop) = try Self.oldestFailed.get()
        for filter in [nil, desktop] {
            let (visits, page) = Self.listing(state, user, desktop: filter, status: .failed, limit: 2)
            #expect(page.items.map(\.ordinal) == [5, 4])
            #expect(page.next == 4)
            #expect(visits <= Self.bound(limit: 2, cursor: false))
            let (nextVisits, nextPage) = Self.listing(state, user, desktop: filter, status: .failed, before: page.next, limit: 2)
            #expect(nextPage.items.map(\.ordinal) == [3])
            #expect(nextPage.next == nil)
            #expect(nextVisits <= Self.bound(limit: 2, cursor: true))
        }
    }

    @Test("a status change and a cancelling desktop deletion keep the bound (the positions follow the tasks)")
    func afterChanges() throws {
        // Changed, so smaller: still far more tasks than a page.
        var (state, user, desktop) = try Self.bigState(count: 20_000) { _ in .queued }
        let oldest = try #require(state.taskIDsByOwner[user]?.first)
        try state.applyNext(.taskUpdated(TaskChange(id: oldest, status: .running, result: nil, at: StoreFixtures.t0)))
        try state.applyNext(.taskUpdated(TaskChange(id: oldest, status: .failed, result: nil, at: StoreFixtures.t0)))
        var (visits, page) = Self.listing(state, user, status: .failed, limit: 1)
        #expect(page.items.map(\.id) == [oldest])
        #expect(visits <= Self.bound(limit: 1, cursor: false))
        try state.applyNext(.desktopDeleted(DesktopDeletion(id: desktop, at: StoreFixtures.t0)))
        (visits, page) = Self.listing(state, user, status: .queued, limit: 1)
        #expect(page.items.isEmpty)
        #expect(visits <= Self.bound(limit: 1, cursor: false))
        (visits, page) = Self.listing(state, user, status: .failed, limit: 1)
        #expect(page.items.map(\.id) == [oldest])
        #expect(state.tasks(of: user, desktopID: nil, status: .cancelled, before: nil, limit: 1).next != nil)
    }

    @Test("another user's listing of a desktop reads one task, not the desktop's 200,000")
    func strangerOnDesktop() throws {
        let (state, _, desktop) = try Self.noneFailed.get()
        let (visits, page) = Self.listing(state, UserID.random(), desktop: desktop, status: nil, limit: 50)
        #expect(page.items.isEmpty)
        #expect(visits <= 1)
    }
}

@Suite("Task lists stay in creation order")
struct TaskOrderTests {
    @Test("a task not newer than its owner's or its desktop's newest is refused")
    func replayRefusesOlderTask() throws {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        let desktop = StoreFixtures.desktop(owner: user.id, ordinal: 2)
        try state.applyNext(.desktopCreated(desktop))
        try state.applyNext(.taskCreated(TaskCreation(task: StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: 10), idempotency: nil)))
        for ordinal: UInt64 in [10, 9, 0] {
            let older = StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: ordinal)
            #expect(throws: InconsistentMutation.self) { try state.applyNext(.taskCreated(TaskCreation(task: older, idempotency: nil))) }
        }
        try state.applyNext(.taskCreated(TaskCreation(task: StoreFixtures.task(owner: user.id, desktop: desktop.id, ordinal: 11), idempotency: nil)))
        #expect(state.tasks(of: user.id, desktopID: nil, status: nil, before: nil, limit: 5).items.map(\.ordinal) == [11, 10])
    }

    @Test("records with an owner's tasks out of order, or a deleted desktop's tasks of two owners, are refused")
    func restoreRefusesDisorder() throws {
        let (ada, bob) = (StoreFixtures.user(), StoreFixtures.user("bob@example.com"))
        let desktop = StoreFixtures.desktop(owner: ada.id, ordinal: 3)
        let gone = DesktopID.random()
        func restore(_ tasks: [MissionTask]) throws {
            _ = try StoreState(sequence: 20, users: [ada, bob], apiKeys: [], desktops: [desktop], tasks: tasks, idempotency: [])
        }
        let newer = StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: 5)
        let older = StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: 4)
        #expect(throws: InconsistentState.self) { try restore([newer, older]) }
        #expect(throws: InconsistentState.self) { try restore([newer, newer]) }
        // The same owner in two runs, the second older than the first.
        let other = StoreFixtures.task(owner: bob.id, desktop: gone, ordinal: 6)
        #expect(throws: InconsistentState.self) { try restore([newer, other, older]) }
        #expect(throws: InconsistentState.self) {
            try restore([StoreFixtures.task(owner: ada.id, desktop: gone, ordinal: 7), StoreFixtures.task(owner: bob.id, desktop: gone, ordinal: 8)])
        }
        try restore([older, newer, other])
    }
}
