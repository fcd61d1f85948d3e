import BureauTestSupport
import Testing

@testable import BureauStore

/// Random histories of users, desktops and tasks (creations, status changes, desktop deletions, restores
/// from the records a snapshot stores), replayable from their seed.
struct TaskHistory {
    var state = StoreState()
    var users: [UserID] = []
    /// Every desktop ever created, deleted ones included.
    var desktops: [Desktop] = []
    var generator: SplitMix64
    /// Restores done so far.
    var restores = 0

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// Applies `steps` random changes, restoring from records now and then.
    mutating func run(steps: Int) throws {
        for _ in 0..<steps {
            switch Int.random(in: 0..<100, using: &generator) {
            case 0..<3 where users.count < 4, _ where users.isEmpty:
                let user = StoreFixtures.user("user\(users.count)@example.com")
                try state.applyNext(.userCreated(user))
                users.append(user.id)
            case 0..<8:
                let desktop = StoreFixtures.desktop(owner: users.randomElement(using: &generator)!, ordinal: state.sequence + 1)
                try state.applyNext(.desktopCreated(desktop))
                desktops.append(desktop)
            case 8..<55:
                guard let desktop = desktops.filter({ state.desktops[$0.id] != nil }).randomElement(using: &generator) else { continue }
                let status: TaskStatus = Bool.random(using: &generator) ? .queued : .running
                let task = StoreFixtures.task(owner: desktop.ownerID, desktop: desktop.id, ordinal: state.sequence + 1, status: status)
                try state.applyNext(.taskCreated(TaskCreation(task: task, idempotency: nil)))
            case 55..<95:
                guard let task = state.tasks.values.randomElement(using: &generator) else { continue }
                let next = TaskStatus.allCases.filter(task.status.canMove).randomElement(using: &generator)
                guard let next else { continue }
                let at = Timestamp(millisecondsSinceEpoch: StoreFixtures.t0.millisecondsSinceEpoch + Int64(state.sequence))
                try state.applyNext(.taskUpdated(TaskChange(id: task.id, status: next, result: nil, at: at)))
            case 95..<98:
                guard let desktop = state.desktops.values.randomElement(using: &generator) else { continue }
                try state.applyNext(.desktopDeleted(DesktopDeletion(id: desktop.id, at: StoreFixtures.t0)))
            default:
                try restore()
            }
        }
    }

    /// Replaces the state by one rebuilt from its records, as a snapshot stores them (tasks grouped by
    /// owner, each owner's in creation order, the owners in any order), and checks it equals the live one.
    mutating func restore() throws {
        var tasks: [MissionTask] = []
        for ownerID in state.taskIDsByOwner.keys.shuffled(using: &generator) {
            tasks += (state.taskIDsByOwner[ownerID] ?? []).compactMap { state.tasks[$0] }
        }
        var rebuilt = try StoreState(
            sequence: state.sequence,
            users: Array(state.users.values),
            apiKeys: Array(state.apiKeys.values),
            desktops: state.desktops.values.sorted { $0.ordinal < $1.ordinal },
            tasks: tasks,
            idempotency: Array(state.idempotency.values)
        )
        for (userID, recent) in state.activity { rebuilt.restoreActivity(of: userID, recent) }
        #expect(rebuilt.taskStatusesByOwner == state.taskStatusesByOwner)
        #expect(rebuilt.taskStatusesByDesktop == state.taskStatusesByDesktop)
        #expect(rebuilt == state)
        state = rebuilt
        restores += 1
    }
}

@Suite("Task listings through the indexes")
struct TaskListingIndexTests {
    /// Every task of the listing, newest first, as a plain filter over every task.
    static func matching(_ state: StoreState, of userID: UserID, desktopID: DesktopID?, status: TaskStatus?) -> [MissionTask] {
        state.tasks.values
            .filter { task in
                task.ownerID == userID && desktopID.map { task.desktopID == $0 } ?? true && status.map { task.status == $0 } ?? true
            }
            .sorted { $0.ordinal > $1.ordinal }
    }

    /// The page the listing must give: what the indexes must reproduce exactly.
    static func reference(_ matching: [MissionTask], before: UInt64?, limit: Int) -> (ids: [TaskID], next: UInt64?) {
        let remaining = matching.filter { task in before.map { task.ordinal < $0 } ?? true }
        let page = remaining.prefix(limit)
        return (page.map(\.id), remaining.count > limit ? page.last?.ordinal : nil)
    }

    /// Checks every combination of user, desktop filter, status filter, limit and cursor against the
    /// reference, and that following the cursors from the first page lists every match once.
    static func checkEveryListing(_ history: TaskHistory) {
        let state = history.state
        let ordinals = state.tasks.values.map(\.ordinal)
        var generator = SplitMix64(seed: state.sequence)
        var cursors: [UInt64?] = [nil, 0, 1, .max, (ordinals.max() ?? 0) + 1]
        for _ in 0..<3 { cursors.append(ordinals.randomElement(using: &generator)) }
        let desktopFilters: [DesktopID?] = [nil, DesktopID.random()] + history.desktops.map(\.id)
        for userID in history.users + [UserID.random()] {
            for desktopID in desktopFilters {
                for status in [nil] + TaskStatus.allCases {
                    let matching = Self.matching(state, of: userID, desktopID: desktopID, status: status)
                    for limit in [1, 2, 5, 50] {
                        for before in cursors {
                            let page = state.tasks(of: userID, desktopID: desktopID, status: status, before: before, limit: limit)
                            let expected = reference(matching, before: before, limit: limit)
                            #expect(page.items.map(\.id) == expected.ids)
                            #expect(page.next == expected.next)
                        }
                    }
                    var walked: [TaskID] = []
                    var cursor: UInt64?
                    repeat {
                        let page = state.tasks(of: userID, desktopID: desktopID, status: status, before: cursor, limit: 3)
                        walked += page.items.map(\.id)
                        cursor = page.next
                    } while cursor != nil
                    #expect(walked == matching.map(\.id))
                }
            }
        }
    }

    @Test("every filtered, limited and paged listing equals a plain filter over random histories", arguments: [1, 2, 3, 4] as [UInt64])
    func randomHistories(seed: UInt64) throws {
        var history = TaskHistory(seed: seed)
        for _ in 0..<4 {
            try history.run(steps: 150)
            Self.checkEveryListing(history)
        }
        try history.restore()
        Self.checkEveryListing(history)
        #expect(history.restores > 1)
        #expect(history.state.tasks.values.contains { $0.status == .cancelled })
    }

    @Test("deleting a desktop cancels its unfinished tasks in every index, and a restore agrees")
    func deletionMovesTasks() throws {
        var history = TaskHistory(seed: 99)
        try history.run(steps: 200)
        let desktop = try #require(
            history.state.desktops.values.max {
                (history.state.taskIDsByDesktop[$0.id]?.count ?? 0) < (history.state.taskIDsByDesktop[$1.id]?.count ?? 0)
            }
        )
        let unfinished = (history.state.taskIDsByDesktop[desktop.id] ?? []).filter { history.state.tasks[$0]?.status.isFinished == false }
        #expect(!unfinished.isEmpty)
        try history.state.applyNext(.desktopDeleted(DesktopDeletion(id: desktop.id, at: StoreFixtures.t0)))
        for status in [TaskStatus.queued, .running] {
            #expect(history.state.tasks(of: desktop.ownerID, desktopID: desktop.id, status: status, before: nil, limit: 50).items.isEmpty)
        }
        let cancelled = history.state.tasks(of: desktop.ownerID, desktopID: desktop.id, status: .cancelled, before: nil, limit: 10_000).items
        #expect(Set(unfinished).isSubset(of: Set(cancelled.map(\.id))))
        Self.checkEveryListing(history)
        try history.restore()
        Self.checkEveryListing(history)
    }
}
