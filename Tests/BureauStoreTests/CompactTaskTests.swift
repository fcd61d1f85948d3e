import Testing

@testable import BureauStore

@Suite("Compact tasks and their activity")
struct CompactTaskTests {
    private static func task(content: String = "Open the quarterly report and summarise section 1.", result: String? = nil) -> MissionTask {
        MissionTask(
            id: TaskID.random(),
            ownerID: UserID.random(),
            desktopID: DesktopID.random(),
            type: .prompt,
            content: content,
            status: .queued,
            result: result,
            createdAt: StoreFixtures.t0,
            updatedAt: StoreFixtures.t0,
            ordinal: 7
        )
    }

    @Test("a task is one pointer wide and an event two machine words beyond its id, time and user")
    func layout() {
        #expect(MemoryLayout<MissionTask>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<ActivitySubject>.size <= MemoryLayout<Int>.size + 1)
        #expect(MemoryLayout<ActivityEvent>.stride <= 56)
    }

    @Test("fields read back as set; setting one leaves earlier copies alone; equality and hashing are by value")
    func valueSemantics() {
        let original = Self.task(result: nil)
        #expect(original.content == "Open the quarterly report and summarise section 1.")
        #expect(original.result == nil && original.status == .queued && original.ordinal == 7 && original.type == .prompt)
        var changed = original
        #expect(changed.sharesStorage(with: original), "a copy is a retain, not a new record")
        changed.result = ""
        changed.status = .running
        changed.content = "é"
        #expect(original.result == nil && original.status == .queued && original.content.hasPrefix("Open"))
        #expect(changed.result == "" && changed.status == .running && changed.content == "é" && changed.id == original.id)
        #expect(changed != original)
        var rebuilt = Self.task()
        rebuilt.id = original.id
        rebuilt.ownerID = original.ownerID
        rebuilt.desktopID = original.desktopID
        #expect(rebuilt == original && !rebuilt.sharesStorage(with: original))
        #expect(rebuilt.hashValue == original.hashValue)
        var withEmptyResult = rebuilt
        withEmptyResult.result = ""
        #expect(withEmptyResult != rebuilt, "an empty result is not the absence of one")
        let long = String(repeating: "ü", count: 300)
        let moved = original.moved(to: .completed, result: long, at: StoreFixtures.t0.adding(milliseconds: 9))
        #expect(moved.status == .completed && moved.result == long && moved.updatedAt == StoreFixtures.t0.adding(milliseconds: 9))
        #expect(moved.content == original.content && moved.createdAt == original.createdAt && original.status == .queued)
        #expect(original.moved(to: .running, at: StoreFixtures.t0).result == nil, "no result given keeps the one there is")
    }

    @Test("a task event shares the stored task's record until the task changes; the older event keeps its value")
    func eventsShareStoredTasks() throws {
        var state = StoreState()
        let ada = StoreFixtures.user()
        try state.applyNext(.userCreated(ada))
        let desktop = StoreFixtures.desktop(owner: ada.id, ordinal: 2)
        try state.applyNext(.desktopCreated(desktop))
        let task = StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: 3)
        let created = try state.apply(.taskCreated(TaskCreation(task: task, idempotency: nil)), sequence: 3)
        guard case .task(let shown) = created.first?.subject, let stored = state.tasks[task.id] else {
            Issue.record("no task event")
            return
        }
        #expect(shown.sharesStorage(with: stored))
        let updated = try state.apply(.taskUpdated(TaskChange(id: task.id, status: .running, result: nil, at: StoreFixtures.t0)), sequence: 4)
        guard case .task(let running) = updated.first?.subject, let storedNow = state.tasks[task.id] else {
            Issue.record("no update event")
            return
        }
        #expect(running.sharesStorage(with: storedNow) && running.status == .running)
        #expect(!shown.sharesStorage(with: storedNow) && shown.status == .queued)
        #expect(state.activity[ada.id]?.events.first { $0.id.sequence == 3 }?.subject == .task(task))
    }

    @Test("lowering the capacity, or restoring a longer history, releases the dropped events at once")
    func trimmingReleasesMemory() throws {
        var state = StoreState(activityCapacity: 100)
        let ada = StoreFixtures.user()
        try state.applyNext(.userCreated(ada))
        let desktop = StoreFixtures.desktop(owner: ada.id, ordinal: 2)
        try state.applyNext(.desktopCreated(desktop))
        for ordinal in UInt64(3)...60 {
            try state.applyNext(
                .taskCreated(TaskCreation(task: StoreFixtures.task(owner: ada.id, desktop: desktop.id, ordinal: ordinal), idempotency: nil))
            )
        }
        let full = try #require(state.activity[ada.id])
        #expect(full.events.count == 59 && full.heldCount == 59)

        var small = state
        small.setActivityCapacity(10)
        #expect(small.activity[ada.id]?.events.count == 10)
        #expect(small.activity[ada.id]?.heldCount == 10)
        #expect((small.activity[ada.id]?.heldCapacity ?? .max) < 59, "the buffer sized for 59 events is gone")

        var none = state
        none.setActivityCapacity(0)
        #expect(none.activity[ada.id]?.events.isEmpty == true)
        #expect(none.activity[ada.id]?.heldCount == 0 && none.activity[ada.id]?.heldCapacity == 0)
        #expect(none.activity[ada.id]?.droppedThrough == full.events.last?.id)

        var restored = StoreState(activityCapacity: 5)
        restored.restoreActivity(of: ada.id, UserActivity(events: Array(full.events), droppedThrough: nil))
        #expect(restored.activity[ada.id]?.events.map(\.id) == full.events.suffix(5).map(\.id))
        #expect(restored.activity[ada.id]?.heldCount == 5 && (restored.activity[ada.id]?.heldCapacity ?? .max) < 59)

        var live = StoreState(activityCapacity: 0)
        live.restoreActivity(of: ada.id, UserActivity())
        for event in full.events.prefix(20) { live.record([event]) }
        #expect(live.activity[ada.id]?.heldCount == 0, "with no capacity nothing is held, not even a few dropped events")
    }
}
