import BureauStore
import Crypto
import HTTPTypes
import Hummingbird

/// `/api/mission-control/tasks`: create (with `Idempotency-Key`), list newest first, show, move through the
/// status machine.
struct TasksController {
    let operations: Operations
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

    @Sendable func create(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let input = NewTask(type: body.string("type"), content: body.string("content"), desktopID: body.string("desktopId"))
        let idempotency = request.headers[.idempotencyKey].map {
            IdempotencyRequest(key: $0, requestDigest: SHA256.hash(data: body.bytes).hexString)
        }
        try body.throwIfInvalid(adding: input.problems)
        switch try await operations.createTask(input, idempotency: idempotency, by: requester) {
        case .created(let task):
            return JSONResponse.make(TaskRepresentation(task), status: .created)
        case .replayed(let first):
            var headers = HTTPFields()
            headers[.idempotentReplayed] = "true"
            return JSONResponse.make(TaskRepresentation(first), status: .created, headers: headers)
        }
    }

    @Sendable func list(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        let query = Query(uri: request.uri)
        let limit = try query.limit()
        let before = try query.string("cursor").map { try Cursor.decode($0, kind: Self.cursorKind) }
        let page = try operations.tasks(
            by: requester,
            desktopID: query.string("desktopId"),
            status: query.string("status"),
            before: before,
            limit: limit
        )
        return JSONResponse.make(
            ListRepresentation(
                data: page.items.map(TaskRepresentation.init),
                nextCursor: page.next.map { Cursor.encode(kind: Self.cursorKind, ordinal: $0) }
            )
        )
    }

    @Sendable func show(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let task = try operations.task(try context.parameters.require("id"), by: try context.requester())
        return JSONResponse.make(TaskRepresentation(task))
    }

    @Sendable func update(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        let id = try context.parameters.require("id")
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let change = TaskStatusChange(status: body.string("status"), result: body.string("result"))
        try body.throwIfInvalid(adding: change.problems)
        let task = try await operations.changeTaskStatus(id, change, by: requester)
        return JSONResponse.make(TaskRepresentation(task))
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
