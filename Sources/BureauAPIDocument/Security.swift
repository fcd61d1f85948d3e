import OpenAPIKit

/// The credentials (API.md section 1): an API key in `x-api-key` or as a bearer token, the session
/// cookie, and, on the activity stream only, the key in `?apiKey=`.
enum Security {
    static let apiKeyHeader: OpenAPI.ComponentKey = "apiKeyHeader"
    static let bearer: OpenAPI.ComponentKey = "bearer"
    static let sessionCookie: OpenAPI.ComponentKey = "sessionCookie"
    static let apiKeyQuery: OpenAPI.ComponentKey = "apiKeyQuery"

    static var schemes: OpenAPI.ComponentDictionary<OpenAPI.SecurityScheme> {
        [
            apiKeyHeader: .apiKey(
                name: "x-api-key",
                location: .header,
                description: "An API key (`lb_k_...`). A request that presents a key is judged by it alone."
            ),
            bearer: .http(
                scheme: "bearer",
                bearerFormat: "lb_k_...",
                description: "The same API key as `Authorization: Bearer lb_k_...`."
            ),
            sessionCookie: .apiKey(
                name: "__Host-bureau_session",
                location: .cookie,
                description: """
                    The browser session set by a sign-in (`bureau_session` in the explicit insecure mode for plain-HTTP \
                    localhost). Changes (POST, PATCH, PUT, DELETE) made with it must come from the server's own origin.
                    """
            ),
            apiKeyQuery: .apiKey(
                name: "apiKey",
                location: .query,
                description: "An API key in the URL: accepted on the activity stream only, never read anywhere else."
            ),
        ]
    }

    private static func requirement(_ name: OpenAPI.ComponentKey) -> OpenAPI.SecurityRequirement {
        [JSONReference<OpenAPI.SecurityScheme>.component(named: name.rawValue): []]
    }

    /// Any one of the header key, the bearer key or the session cookie: every `/api` endpoint.
    static var anyCredential: [OpenAPI.SecurityRequirement] {
        [requirement(apiKeyHeader), requirement(bearer), requirement(sessionCookie)]
    }

    /// A browser session only: logout, which ends the request's session (a key has none: 400).
    static var sessionOnly: [OpenAPI.SecurityRequirement] {
        [requirement(sessionCookie)]
    }

    /// The stream's: those, or the key in the query.
    static var streamCredential: [OpenAPI.SecurityRequirement] {
        anyCredential + [requirement(apiKeyQuery)]
    }

    /// No credentials needed.
    static var none: [OpenAPI.SecurityRequirement] { [] }
}
