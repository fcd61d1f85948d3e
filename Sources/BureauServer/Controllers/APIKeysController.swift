import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird

/// `/api/auth/api-keys`: create (the plaintext is returned this once), list (masked), revoke, roll.
struct APIKeysController {
    let operations: Operations
    let verifier: APIKeyVerifier
    let settings: ServerSettings

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.post(use: create)
        routes.get(use: list)
        routes.delete("{id}", use: revoke)
        routes.post("{id}/roll", use: roll)
        return routes
    }

    @Sendable func create(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let input = NewAPIKey(name: body.string("name"), expiresAt: body.string("expiresAt"), scope: body.string("scope"))
        try body.throwIfInvalid(adding: input.problems)
        let created = try await operations.createAPIKey(input, by: requester)
        // Its first use then costs no bcrypt: the plaintext is in hand this once.
        if let key = APIKeyFormat.parse(created.plaintext) { verifier.rememberVerified(key, id: created.record.id) }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return JSONResponse.make(
            CreatedAPIKeyRepresentation(key: created.record, plaintext: created.plaintext),
            status: .created,
            headers: headers
        )
    }

    /// `POST /api/auth/api-keys/{id}/roll {"graceSeconds"}`: the successor, its plaintext shown this once.
    @Sendable func roll(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        let id = try context.parameters.require("id")
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let input = APIKeyRollRequest(graceSeconds: body.integer("graceSeconds"))
        try body.throwIfInvalid(adding: input.problems)
        let created = try await operations.rollAPIKey(id, input, by: requester)
        if let key = APIKeyFormat.parse(created.plaintext) { verifier.rememberVerified(key, id: created.record.id) }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return JSONResponse.make(
            CreatedAPIKeyRepresentation(key: created.record, plaintext: created.plaintext),
            status: .created,
            headers: headers
        )
    }

    @Sendable func list(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let keys = try operations.activeAPIKeys(by: try context.requester())
        let items = keys.map { APIKeyRepresentation($0, lastUsedAt: verifier.usage.lastUsed($0)) }
        return JSONResponse.make(ListRepresentation(data: items))
    }

    @Sendable func revoke(_ request: Request, context: BureauRequestContext) async throws -> Response {
        try await operations.revokeAPIKey(try context.parameters.require("id"), by: try context.requester())
        return JSONResponse.noContent()
    }
}
