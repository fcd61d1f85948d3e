import OpenAPIKit

/// `/api/auth/me`, `dev-login`, `logout`, `providers`, and signing in with a provider (`/api/auth/oauth/...`).
enum AuthPaths {
    static var items: [(String, OpenAPI.PathItem)] {
        [
            (
                "/api/auth/me",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "getMe",
                        tag: "auth",
                        summary: "The current user, and how the request authenticated",
                        responses: [(200, Responses.json("The caller.", Schemas.ref("Me")))],
                        errors: Errors()
                    )
                )
            ),
            (
                "/api/auth/dev-login",
                OpenAPI.PathItem(
                    post: Endpoint.operation(
                        "devLogin",
                        tag: "auth",
                        summary: "Start a session for an email address (demo and test installs only)",
                        description: """
                            Routed only when `auth.dev_login` is on (off by default: then this path is a 404). Finds or creates \
                            the user, replaces the browser's session and sets the session cookie. From another site's page: 403.
                            """,
                        body: Endpoint.jsonBody(
                            "Who signs in.",
                            properties: [
                                "email": Schemas.email,
                                "name": Schemas.displayName.optionalSchemaObject(),
                            ]
                        ),
                        responses: [
                            (200, Responses.json("Signed in: the user, as `/api/auth/me` shows it.", Schemas.ref("Me"), headers: [setCookie]))
                        ],
                        errors: {
                            var errors = Errors.change(forbidden: ["cross_site_login"], conflict: ["conflict"])
                            errors.unauthenticated = false
                            return errors
                        }(),
                        security: Security.none
                    )
                )
            ),
            (
                "/api/auth/logout",
                OpenAPI.PathItem(
                    post: Endpoint.operation(
                        "logout",
                        tag: "auth",
                        summary: "End the request's browser session and clear the cookie",
                        description: """
                            Needs the session cookie. A request authenticated by an API key has no session to end: 400 \
                            `session_required` (a key is ended by revoking it).
                            """,
                        responses: [(204, Responses.empty("The session is ended and the cookie cleared.", headers: [setCookie]))],
                        errors: Errors.change(badRequest: ["session_required"], readsBody: false),
                        security: Security.sessionOnly
                    )
                )
            ),
            (
                "/api/auth/providers",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "listSignInProviders",
                        tag: "auth",
                        summary: "How a person can sign in here: the configured providers and whether dev-login is on",
                        responses: [(200, Responses.json("The sign-in options.", Schemas.ref("SignInOptions")))],
                        errors: Errors(unauthenticated: false),
                        security: Security.none
                    )
                )
            ),
            (
                "/api/auth/oauth/{provider}",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "startSignIn",
                        tag: "auth",
                        summary: "Start signing in with a provider: a redirect to it",
                        description: """
                            Redirects the browser to the provider (authorization code flow with PKCE; `nonce` for OpenID \
                            providers) and sets the sign-in cookie. A failure is an HTML page saying why.
                            """,
                        parameters: [provider],
                        responses: [
                            (302, Responses.empty("To the provider's authorization page.", headers: [location, setCookie])),
                            (404, page("There is no configured provider by that name.")),
                            (502, page("The provider's discovery document could not be had.")),
                            (504, page("The provider did not answer in time.")),
                        ],
                        errors: Errors(unauthenticated: false),
                        security: Security.none
                    )
                )
            ),
            (
                "/api/auth/oauth/{provider}/callback",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "finishSignIn",
                        tag: "auth",
                        summary: "Where the provider sends the browser back: finish signing in",
                        description: """
                            Checks the state against the browser's sign-in cookie, exchanges the code, finds or creates the \
                            user by verified email, starts a session and sends the browser to the dashboard. Every failure \
                            is an HTML page saying why, after which nothing has changed.
                            """,
                        parameters: [
                            provider,
                            .query(name: "code", schema: .string, description: "The provider's authorization code."),
                            .query(name: "state", schema: .string, description: "The state the sign-in started with."),
                            .query(name: "error", schema: .string, description: "The provider's error, when it did not sign the person in."),
                        ],
                        responses: [
                            (303, Responses.empty("Signed in: to the dashboard (`/`), with the session cookie.", headers: [location, setCookie])),
                            (400, page("Bad or expired state, a provider error, or no code.")),
                            (401, page("The account could not be stored for a credential that ended meanwhile.")),
                            (403, page("Another browser's sign-in, an unverified or missing email, a bad ID token, or a refused account.")),
                            (404, page("There is no configured provider by that name.")),
                            (409, page("The sign-in conflicts with the current state; try again.")),
                            (502, page("The provider could not be reached or answered garbage.")),
                            (503, page("The server cannot store the sign-in right now.")),
                            (504, page("The provider did not answer in time.")),
                        ],
                        errors: Errors(unauthenticated: false),
                        security: Security.none
                    )
                )
            ),
        ]
    }

    static var provider: OpenAPI.Parameter {
        .path(name: "provider", schema: .string(minLength: 1), description: "`github`, `google`, or a configured OpenID Connect provider's name.")
    }

    static let setCookie = ("Set-Cookie", OpenAPI.Header(schema: .string, description: "The cookie set or cleared."))
    static let location = ("Location", OpenAPI.Header(schema: .string, description: "Where the browser goes next.", required: true))

    /// A sign-in failure: an HTML page that says in words what went wrong.
    static func page(_ description: String) -> OpenAPI.Response {
        OpenAPI.Response(
            description: description,
            headers: Responses.headers(.api, [setCookie]),
            content: [.html: .b(OpenAPI.Content(schema: .string))]
        )
    }
}
