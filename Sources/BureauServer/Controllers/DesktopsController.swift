import BureauStore
import Hummingbird

/// `/api/desktops`: the caller's desktops. Another user's desktop is 403, a missing one 404.
struct DesktopsController {
    let store: BureauStore
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
        let identity = try context.requireIdentity()
        let query = Query(uri: request.uri)
        let limit = try query.limit()
        let after = try query.string("cursor").map { try Cursor.decode($0, kind: Self.cursorKind) }
        let page = store.read { $0.desktops(of: identity.userID, after: after, limit: limit) }
        return JSONResponse.make(
            ListRepresentation(
                data: page.items.map(DesktopRepresentation.init),
                nextCursor: page.next.map { Cursor.encode(kind: Self.cursorKind, ordinal: $0) }
            )
        )
    }

    @Sendable func create(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let name = body.string("name", required: true, trimmed: true, length: 1...100)
        let status: DesktopStatus? = body.enumeration("status", required: false)
        try body.throwIfInvalid()
        guard let name else { throw APIError.invalidField("name", "is required") }
        let desktop = try await store.commit { state, sequence, now -> (Mutation?, Desktop) in
            guard state.users[identity.userID] != nil else { throw StoreError.notFound("User") }
            let desktop = Desktop(
                id: .random(),
                ownerID: identity.userID,
                name: name,
                status: status ?? .running,
                createdAt: now,
                updatedAt: now,
                ordinal: sequence
            )
            return (.desktopCreated(desktop), desktop)
        }
        return JSONResponse.make(DesktopRepresentation(desktop), status: .created)
    }

    @Sendable func show(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.desktopID(context)
        let desktop = try store.read { try Self.owned(id, by: identity.userID, in: $0) }
        return JSONResponse.make(DesktopRepresentation(desktop))
    }

    @Sendable func update(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.desktopID(context)
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let name = body.string("name", required: false, trimmed: true, length: 1...100)
        let status: DesktopStatus? = body.enumeration("status", required: false)
        if body.errors.isEmpty, name == nil, status == nil {
            body.fail("body", "give at least one of: name, status")
        }
        try body.throwIfInvalid()
        let desktop = try await store.commit { state, _, now -> (Mutation?, Desktop) in
            var desktop = try Self.owned(id, by: identity.userID, in: state)
            if let name { desktop.name = name }
            if let status { desktop.status = status }
            desktop.updatedAt = now
            return (.desktopUpdated(DesktopChange(id: id, name: name, status: status, at: now)), desktop)
        }
        return JSONResponse.make(DesktopRepresentation(desktop))
    }

    @Sendable func delete(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.desktopID(context)
        try await store.commit { state, _, now -> (Mutation?, Void) in
            _ = try Self.owned(id, by: identity.userID, in: state)
            return (.desktopDeleted(DesktopDeletion(id: id, at: now)), ())
        }
        return JSONResponse.noContent()
    }

    /// The desktop id in the path; a malformed one names nothing, so it is a 404.
    private static func desktopID(_ context: BureauRequestContext) throws -> DesktopID {
        guard let id = context.parameters.get("id").flatMap(DesktopID.init) else { throw APIError.notFound("Desktop") }
        return id
    }

    /// The desktop if it exists and belongs to `userID`: 404 if it does not exist, 403 if it is someone else's.
    static func owned(_ id: DesktopID, by userID: UserID, in state: borrowing StoreState) throws -> Desktop {
        guard let desktop = state.desktops[id] else { throw APIError.notFound("Desktop") }
        guard desktop.ownerID == userID else { throw APIError.forbidden("Desktop") }
        return desktop
    }
}
