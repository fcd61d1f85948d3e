import BureauStore
import Testing

@Suite("Pagination")
struct PaginationTests {
    /// A state with one user, `desktopCount` desktops and `taskCount` tasks on the first desktop.
    static func populated(desktopCount: Int, taskCount: Int) throws -> (StoreState, UserID, [DesktopID], [TaskID]) {
        var state = StoreState()
        let user = StoreFixtures.user()
        try state.applyNext(.userCreated(user))
        var desktops: [DesktopID] = []
        for index in 0..<desktopCount {
            let desktop = StoreFixtures.desktop(owner: user.id, ordinal: state.sequence + 1, name: "D\(index)")
            try state.applyNext(.desktopCreated(desktop))
            desktops.append(desktop.id)
        }
        var tasks: [TaskID] = []
        for _ in 0..<taskCount {
            let task = StoreFixtures.task(owner: user.id, desktop: desktops[0], ordinal: state.sequence + 1)
            try state.applyNext(.taskCreated(TaskCreation(task: task, idempotency: nil)))
            tasks.append(task.id)
        }
        return (state, user.id, desktops, tasks)
    }

    @Test("desktop pages cover every desktop once, in creation order", arguments: [1, 2, 3, 7, 100])
    func desktopPages(limit: Int) throws {
        let (state, user, desktops, _) = try Self.populated(desktopCount: 23, taskCount: 1)
        var seen: [DesktopID] = []
        var cursor: UInt64?
        repeat {
            let page = state.desktops(of: user, after: cursor, limit: limit)
            #expect(page.items.count <= limit)
            seen += page.items.map(\.id)
            cursor = page.next
        } while cursor != nil
        #expect(seen == desktops)
    }

    @Test("task pages are newest first, complete, and honour filters", arguments: [1, 4, 50])
    func taskPages(limit: Int) throws {
        let (state, user, desktops, tasks) = try Self.populated(desktopCount: 2, taskCount: 17)
        var seen: [TaskID] = []
        var cursor: UInt64?
        repeat {
            let page = state.tasks(of: user, desktopID: nil, status: nil, before: cursor, limit: limit)
            seen += page.items.map(\.id)
            cursor = page.next
        } while cursor != nil
        #expect(seen == tasks.reversed())
        #expect(state.tasks(of: user, desktopID: desktops[1], status: nil, before: nil, limit: 50).items.isEmpty)
        #expect(state.tasks(of: user, desktopID: nil, status: .running, before: nil, limit: 50).items.isEmpty)
        #expect(state.tasks(of: user, desktopID: desktops[0], status: .queued, before: nil, limit: 50).items.count == 17)
    }

    @Test("another user's listing is empty")
    func isolation() throws {
        let (state, _, _, _) = try Self.populated(desktopCount: 3, taskCount: 3)
        let stranger = UserID.random()
        #expect(state.desktops(of: stranger, after: nil, limit: 50).items.isEmpty)
        #expect(state.tasks(of: stranger, desktopID: nil, status: nil, before: nil, limit: 50).items.isEmpty)
    }
}
