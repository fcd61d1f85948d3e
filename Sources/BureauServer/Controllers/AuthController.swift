import BureauStore
import Hummingbird

/// `/api/auth/me`: who the caller is and how the request authenticated.
struct AuthController {
    let store: BureauStore

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.get("me", use: me)
        return routes
    }

    struct MeRepresentation: JSONRepresentable {
        var id: String
        var email: String
        var name: String
        var createdAt: String
        /// `api_key` or `session`.
        var authMethod: String
        /// The key's id when authenticated by API key.
        var apiKeyId: String?

        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.field("id", id)
                json.field("email", email)
                json.field("name", name)
                json.field("createdAt", createdAt)
                json.field("authMethod", authMethod)
                if let apiKeyId { json.field("apiKeyId", apiKeyId) }
            }
        }
    }

    @Sendable func me(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard let user = store.read({ $0.users[identity.userID] }) else { throw APIError.unauthenticated(keyPresented: false) }
        var keyID: String?
        var method = "session"
        if case .apiKey(let id) = identity.credential {
            method = "api_key"
            keyID = id.description
        }
        return JSONResponse.make(
            MeRepresentation(
                id: user.id.description,
                email: user.email,
                name: user.name,
                createdAt: user.createdAt.rfc3339,
                authMethod: method,
                apiKeyId: keyID
            )
        )
    }
}
