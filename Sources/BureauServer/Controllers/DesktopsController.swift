import BureauStore
import Hummingbird

/// `/api/desktops`: the caller's desktops. Another user's desktop is 403, a missing one 404.
struct DesktopsController {
    let operations: Operations
    let settings: ServerSettings

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.get(use: list)
        routes.post(use: create)
        routes.get("{id}", use: show)
        routes.patch("{id}", use: update)
        routes.delete("{id}", use: delete)
        return routes
    }

    static let cursorKind = "desktops"

    @Sendable func list(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        let query = Query(uri: request.uri)
        let limit = try query.limit()
        let after = try query.string("cursor").map { try Cursor.decode($0, kind: Self.cursorKind) }
        return JSONResponse.make(try Self.listing(operations, by: requester, after: after, limit: limit))
    }

    /// The page of `requester`'s desktops after `after`, as `GET /api/desktops` answers it (also answered on
    /// the event loop by ``SynchronousReadHandler``).
    static func listing(
        _ operations: Operations,
        by requester: Requester,
        after: UInt64?,
        limit: Int
    ) throws -> ListRepresentation<DesktopRepresentation> {
        let page = try operations.desktops(by: requester, after: after, limit: limit)
        return ListRepresentation(
            data: page.items.map(DesktopRepresentation.init),
            nextCursor: page.next.map { Cursor.encode(kind: Self.cursorKind, ordinal: $0) }
        )
    }

    @Sendable func create(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let input = NewDesktop(name: body.string("name"), status: body.string("status"))
        try body.throwIfInvalid(adding: input.problems)
        let desktop = try await operations.createDesktop(input, by: requester)
        return JSONResponse.make(DesktopRepresentation(desktop), status: .created)
    }

    @Sendable func show(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let desktop = try operations.desktop(try context.parameters.require("id"), by: try context.requester())
        return JSONResponse.make(DesktopRepresentation(desktop))
    }

    @Sendable func update(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        let id = try context.parameters.require("id")
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let edit = DesktopEdit(name: body.string("name"), status: body.string("status"))
        try body.throwIfInvalid(adding: edit.problems)
        let desktop = try await operations.updateDesktop(id, edit, by: requester)
        return JSONResponse.make(DesktopRepresentation(desktop))
    }

    @Sendable func delete(_ request: Request, context: BureauRequestContext) async throws -> Response {
        try await operations.deleteDesktop(try context.parameters.require("id"), by: try context.requester())
        return JSONResponse.noContent()
    }
}
