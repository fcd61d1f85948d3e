import BureauStore
import Crypto
import HTTPTypes
import Hummingbird

/// `/api/mission-control/tasks`: create (with `Idempotency-Key`), list newest first, show, move through the
/// status machine.
struct TasksController {
    let store: BureauStore
    let settings: ServerSettings

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.post(use: create)
        routes.get(use: list)
        routes.get("{id}", use: show)
        routes.patch("{id}", use: update)
        return routes
    }

    static let cursorKind = "tasks"
    static let contentLength = 1...100_000

    @Sendable func create(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let idempotencyKey = try Self.idempotencyKey(request.headers)
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let type: TaskType? = body.enumeration("type", required: true)
        let content = body.string("content", required: true, length: Self.contentLength)
        let desktopRaw = body.string("desktopId", required: true, length: 1...64)
        let desktopID = desktopRaw.flatMap(DesktopID.init)
        if desktopRaw != nil, desktopID == nil { body.fail("desktopId", "must be a desktop id") }
        try body.throwIfInvalid()
        guard let type, let content, let desktopID else { throw APIError.invalidField("body", "is incomplete") }
        let digest = SHA256.hash(data: body.bytes).hexString

        let outcome = try await store.commit { state, sequence, now -> (Mutation?, CreationOutcome) in
            if let idempotencyKey, let record = state.idempotencyRecord(userID: identity.userID, key: idempotencyKey, now: now) {
                guard record.requestDigest == digest else {
                    throw StoreError.conflict(
                        code: "idempotency_key_reused",
                        detail: "This Idempotency-Key was already used with a different request body."
                    )
                }
                guard let task = state.tasks[record.taskID] else { throw StoreError.notFound("Task") }
                return (nil, .replayed(task))
            }
            _ = try DesktopsController.owned(desktopID, by: identity.userID, in: state)
            let task = MissionTask(
                id: .random(),
                ownerID: identity.userID,
                desktopID: desktopID,
                type: type,
                content: content,
                status: .queued,
                result: nil,
                createdAt: now,
                updatedAt: now,
                ordinal: sequence
            )
            let record = idempotencyKey.map {
                IdempotencyRecord(userID: identity.userID, key: $0, requestDigest: digest, taskID: task.id, createdAt: now)
            }
            return (.taskCreated(TaskCreation(task: task, idempotency: record)), .created(task))
        }
        switch outcome {
        case .created(let task):
            return JSONResponse.make(TaskRepresentation(task), status: .created)
        case .replayed(let task):
            // The first answer, as it was: the task as created.
            var first = task
            first.status = .queued
            first.result = nil
            first.updatedAt = first.createdAt
            var headers = HTTPFields()
            headers[.idempotentReplayed] = "true"
            return JSONResponse.make(TaskRepresentation(first), status: .created, headers: headers)
        }
    }

    enum CreationOutcome: Sendable {
        case created(MissionTask)
        case replayed(MissionTask)
    }

    @Sendable func list(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let query = Query(uri: request.uri)
        let limit = try query.limit()
        let before = try query.string("cursor").map { try Cursor.decode($0, kind: Self.cursorKind) }
        var status: TaskStatus?
        if let raw = query.string("status") {
            guard let value = TaskStatus(rawValue: raw) else {
                throw APIError.invalidField("status", "must be one of: " + TaskStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            status = value
        }
        var desktopID: DesktopID?
        if let raw = query.string("desktopId") {
            guard let id = DesktopID(raw) else { throw APIError.invalidField("desktopId", "must be a desktop id") }
            desktopID = id
        }
        let page = try store.read { state in
            if let desktopID { _ = try DesktopsController.owned(desktopID, by: identity.userID, in: state) }
            return state.tasks(of: identity.userID, desktopID: desktopID, status: status, before: before, limit: limit)
        }
        return JSONResponse.make(
            ListRepresentation(
                data: page.items.map(TaskRepresentation.init),
                nextCursor: page.next.map { Cursor.encode(kind: Self.cursorKind, ordinal: $0) }
            )
        )
    }

    @Sendable func show(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.taskID(context)
        let task = try store.read { try Self.owned(id, by: identity.userID, in: $0) }
        return JSONResponse.make(TaskRepresentation(task))
    }

    @Sendable func update(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.taskID(context)
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let status: TaskStatus? = body.enumeration("status", required: true)
        let result = body.string("result", required: false, length: 0...Self.contentLength.upperBound)
        try body.throwIfInvalid()
        guard let status else { throw APIError.invalidField("status", "is required") }
        let task = try await store.commit { state, _, now -> (Mutation?, MissionTask) in
            var task = try Self.owned(id, by: identity.userID, in: state)
            guard task.status.canMove(to: status) else {
                throw StoreError.conflict(
                    code: "invalid_transition",
                    detail: "A \(task.status.rawValue) task cannot become \(status.rawValue)."
                )
            }
            task.status = status
            if let result { task.result = result }
            task.updatedAt = now
            return (.taskUpdated(TaskChange(id: id, status: status, result: result, at: now)), task)
        }
        return JSONResponse.make(TaskRepresentation(task))
    }

    private static func taskID(_ context: BureauRequestContext) throws -> TaskID {
        guard let id = context.parameters.get("id").flatMap(TaskID.init) else { throw APIError.notFound("Task") }
        return id
    }

    private static func owned(_ id: TaskID, by userID: UserID, in state: borrowing StoreState) throws -> MissionTask {
        guard let task = state.tasks[id] else { throw APIError.notFound("Task") }
        guard task.ownerID == userID else { throw APIError.forbidden("Task") }
        return task
    }

    /// The `Idempotency-Key` header: 1–255 visible ASCII characters, or a 400.
    private static func idempotencyKey(_ headers: HTTPFields) throws -> String? {
        guard let value = headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw APIError.invalidField("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        return value
    }
}

extension SHA256Digest {
    /// Lowercase hexadecimal.
    fileprivate var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
