import BureauStore
import Hummingbird

/// `/api/auth/me`: who the caller is and how the request authenticated.
struct AuthController {
    let operations: Operations

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.get("me", use: me)
        return routes
    }

    struct MeRepresentation: JSONRepresentable {
        let user: User
        let credential: Credential
        /// The key's scope, when the request authenticated with a key (a session may do everything: `full`).
        var scope: APIKeyScope? = nil

        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.field("id", user.id.description)
                json.field("email", user.email)
                json.field("name", user.name)
                json.field("createdAt", user.createdAt.rfc3339)
                switch credential {
                case .apiKey(let id):
                    json.field("authMethod", "api_key")
                    json.field("apiKeyId", id.description)
                case .session:
                    json.field("authMethod", "session")
                }
                json.field("scope", (scope ?? .full).rawValue)
            }
        }
    }

    @Sendable func me(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let (user, scope) = try operations.me(by: .user(identity))
        return JSONResponse.make(MeRepresentation(user: user, credential: identity.credential, scope: scope))
    }
}
