import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird

/// `/api/auth/api-keys`: create (the plaintext is returned this once), list (masked), revoke.
struct APIKeysController {
    let store: BureauStore
    let verifier: APIKeyVerifier
    let hasher: APIKeyHasher
    let settings: ServerSettings

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.post(use: create)
        routes.get(use: list)
        routes.delete("{id}", use: revoke)
        return routes
    }

    @Sendable func create(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let name = body.string("name", required: true, trimmed: true, length: 1...100)
        try body.throwIfInvalid()
        guard let name else { throw APIError.invalidField("name", "is required") }

        let cap = settings.maxKeysPerUser
        let activeCount = store.read { $0.activeKeyIDsByUser[identity.userID]?.count ?? 0 }
        guard activeCount < cap else { throw Self.limitReached(cap) }

        let key = APIKeyFormat.generate()
        let hash = try await hasher.hash(key)
        let record = try await store.commit { state, _, now -> (Mutation?, APIKeyRecord) in
            guard (state.activeKeyIDsByUser[identity.userID]?.count ?? 0) < cap else { throw Self.limitReached(cap) }
            guard state.activeKey(lookupID: key.lookupID) == nil else {
                throw StoreError.conflict(code: "conflict", detail: "Key id collision; retry.")
            }
            let record = APIKeyRecord(
                id: .random(),
                userID: identity.userID,
                name: name,
                lookupID: key.lookupID,
                secretHash: hash,
                lastFour: key.lastFour,
                createdAt: now
            )
            return (.apiKeyCreated(record), record)
        }
        verifier.rememberVerified(key, id: record.id)
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return JSONResponse.make(
            CreatedAPIKeyRepresentation(key: record, plaintext: key.plaintext),
            status: .created,
            headers: headers
        )
    }

    @Sendable func list(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let keys = store.read { $0.activeKeys(of: identity.userID) }
        let items = keys.map { APIKeyRepresentation($0, lastUsedAt: verifier.usage.lastUsed($0)) }
        return JSONResponse.make(ListRepresentation(data: items))
    }

    @Sendable func revoke(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard let id = context.parameters.get("id").flatMap(APIKeyID.init) else { throw APIError.notFound("API key") }
        try await store.commit { state, _, now -> (Mutation?, Void) in
            guard let key = state.apiKeys[id], key.isActive else { throw StoreError.notFound("API key") }
            guard key.userID == identity.userID else { throw StoreError.forbidden("API key") }
            return (.apiKeyRevoked(APIKeyRevocation(id: id, at: now)), ())
        }
        return JSONResponse.noContent()
    }

    private static func limitReached(_ cap: Int) -> StoreError {
        .conflict(code: "api_key_limit_reached", detail: "An account may hold at most \(cap) active API keys; revoke one first.")
    }
}
