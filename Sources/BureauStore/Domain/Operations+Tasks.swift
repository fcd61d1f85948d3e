/// What a task creation did: created the task, or found the first creation of the same retried request.
public enum TaskCreationOutcome: Sendable, Equatable {
    case created(MissionTask)
    /// The first answer, as it was: the task as it was created (whatever happened to it since).
    case replayed(MissionTask)
}

extension Operations {
    /// Creates a task on one of the requester's desktops (404 if no such desktop, 403 if another user's).
    /// With `idempotency`, a retry with the same key and request within 24 hours returns the first
    /// creation instead of a second task; the same key with another request is 409 `idempotency_key_reused`.
    public func createTask(_ input: NewTask, idempotency: IdempotencyRequest? = nil, by requester: Requester) async throws -> TaskCreationOutcome {
        var check = InputCheck()
        let key = check.check(idempotency?.key, field: "Idempotency-Key", required: false, InputRules.idempotencyKey)
        let fields = input.checked()
        if case .failure(let invalid) = fields { throw StoreError.invalidInput(check.problems + invalid.problems) }
        try check.throwIfInvalid()
        let (type, content, rawDesktopID) = try input.validated()
        let userID = requester.userID
        return try await commit(by: requester) { state, sequence, now in
            if let key, let digest = idempotency?.requestDigest, let record = state.idempotencyRecord(userID: userID, key: key, now: now) {
                guard record.requestDigest == digest else {
                    throw StoreError.conflict(
                        code: "idempotency_key_reused",
                        detail: "This Idempotency-Key was already used with a different request body."
                    )
                }
                guard let task = state.tasks[record.taskID] else { throw StoreError.notFound("Task") }
                var first = task
                first.status = .queued
                first.result = nil
                first.updatedAt = first.createdAt
                return (nil, .replayed(first))
            }
            let desktop = try Self.desktop(rawDesktopID, ownedBy: userID, in: state)
            let task = MissionTask(
                id: .random(),
                ownerID: userID,
                desktopID: desktop.id,
                type: type,
                content: content,
                status: .queued,
                result: nil,
                createdAt: now,
                updatedAt: now,
                ordinal: sequence
            )
            let record = key.flatMap { key in
                idempotency.map { IdempotencyRecord(userID: userID, key: key, requestDigest: $0.requestDigest, taskID: task.id, createdAt: now) }
            }
            return (.taskCreated(TaskCreation(task: task, idempotency: record)), .created(task))
        }
    }

    /// Moves one of the requester's tasks to another status (409 `invalid_transition` for a move the
    /// status machine does not allow), setting its result when one is given.
    public func changeTaskStatus(_ id: String, _ change: TaskStatusChange, by requester: Requester) async throws -> MissionTask {
        let (status, result) = try change.validated()
        return try await commit(by: requester) { state, _, now in
            var task = try Self.task(id, ownedBy: requester.userID, in: state)
            guard task.status.canMove(to: status) else {
                throw StoreError.conflict(code: "invalid_transition", detail: "A \(task.status.rawValue) task cannot become \(status.rawValue).")
            }
            task.status = status
            if let result { task.result = result }
            task.updatedAt = now
            return (.taskUpdated(TaskChange(id: task.id, status: status, result: result, at: now)), task)
        }
    }

    /// One of the requester's tasks.
    public func task(_ id: String, by requester: Requester) throws -> MissionTask {
        try read(by: requester) { try Self.task(id, ownedBy: requester.userID, in: $0) }
    }

    /// A page of the requester's tasks, newest first, before the task with ordinal `before`; `desktopID`
    /// (opaque: one naming no desktop is 404, another user's 403) and `status` (one of the statuses, else a
    /// problem on `status`) filter it.
    public func tasks(
        by requester: Requester,
        desktopID: String? = nil,
        status: String? = nil,
        before: UInt64? = nil,
        limit: Int
    ) throws -> Page<MissionTask> {
        var check = InputCheck()
        let status: TaskStatus? = check.check(status, field: "status", required: false, InputRules.oneOf)
        try check.throwIfInvalid()
        return try read(by: requester) { state in
            let desktop = try desktopID.map { try Self.desktop($0, ownedBy: requester.userID, in: state) }
            return state.tasks(of: requester.userID, desktopID: desktop?.id, status: status, before: before, limit: limit)
        }
    }

    /// Drops the idempotency records whose 24 hours have passed (one mutation, only when there are some):
    /// memory and snapshots keep no more than a day of them. Returns whether anything was dropped.
    @discardableResult
    public func expireIdempotencyRecords() async throws -> Bool {
        try await store.commit { state, _, now -> (Mutation?, Bool) in
            guard state.hasExpiredIdempotencyRecords(at: now) else { return (nil, false) }
            return (.idempotencyExpired(IdempotencyExpiry(at: now)), true)
        }
    }

    /// The task `id` names if it exists and belongs to `userID`: 404 whatever the id's shape, 403 if it is
    /// someone else's.
    static func task(_ id: String, ownedBy userID: UserID, in state: borrowing StoreState) throws(StoreError) -> MissionTask {
        guard let taskID = TaskID(id), let task = state.tasks[taskID] else { throw StoreError.notFound("Task") }
        guard task.ownerID == userID else { throw StoreError.forbidden("Task") }
        return task
    }
}
