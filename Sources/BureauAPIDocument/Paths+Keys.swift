import OpenAPIKit

/// `/api/auth/api-keys`: create (the plaintext is returned this once), list (masked), revoke, roll, and
/// the credential-free leak report.
enum KeyPaths {
    static var items: [(String, OpenAPI.PathItem)] {
        [
            (
                "/api/auth/api-keys",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "listAPIKeys",
                        tag: "api-keys",
                        summary: "The caller's active keys, masked",
                        responses: [(200, Responses.json("The keys, oldest first.", Schemas.ref("APIKeyList")))],
                        errors: Errors()
                    ),
                    post: Endpoint.operation(
                        "createAPIKey",
                        tag: "api-keys",
                        summary: "Create a key: the only answer that ever holds its plaintext",
                        body: Endpoint.jsonBody(
                            "The key's name; optionally when it expires and what it may do.",
                            properties: [
                                "name": Schemas.displayName,
                                "expiresAt": JSONSchema.string(
                                    format: .dateTime,
                                    required: false,
                                    description: "RFC 3339, in the future, at most `auth.max_key_lifetime_days` ahead when that is set."
                                ),
                                "scope": Schemas.keyScope.optionalSchemaObject(),
                            ]
                        ),
                        responses: [
                            (
                                201,
                                Responses.json(
                                    "The new key, with its plaintext (`Cache-Control: no-store`).",
                                    Schemas.ref("CreatedAPIKey"),
                                    headers: [("Cache-Control", OpenAPI.Header(schema: .string(allowedValues: "no-store"), required: true))],
                                    links: [
                                        "revokeAPIKey": .b(
                                            OpenAPI.Link(
                                                operationId: "revokeAPIKey",
                                                parameters: ["id": .a(OpenAPI.RuntimeExpression(rawValue: "$response.body#/id")!)]
                                            )
                                        )
                                    ]
                                )
                            )
                        ],
                        errors: Errors.change(conflict: ["api_key_limit_reached", "conflict"])
                    )
                )
            ),
            (
                "/api/auth/api-keys/{id}",
                OpenAPI.PathItem(
                    parameters: [.b(Endpoint.idParameter("key"))],
                    get: Endpoint.operation(
                        "getAPIKey",
                        tag: "api-keys",
                        summary: "One of the caller's active keys, masked, with its usage",
                        description: """
                            The key as listed: `usage.days` holds its requests on each of the last 30 UTC days (oldest \
                            first, today last), `usage.lastClientAddress` the client address of its latest use. An \
                            unknown, revoked or expired key is 404, another user's 403.
                            """,
                        responses: [(200, Responses.json("The key.", Schemas.ref("APIKey")))],
                        errors: Errors(forbidden: ["forbidden"], notFound: true)
                    ),
                    delete: Endpoint.operation(
                        "revokeAPIKey",
                        tag: "api-keys",
                        summary: "Revoke one of the caller's keys",
                        description: "Requests with the key are refused from then on, and the activity streams it opened are closed.",
                        responses: [(204, Responses.empty("Revoked."))],
                        errors: Errors.change(badRequest: [], forbidden: ["forbidden"], notFound: true, readsBody: false)
                    )
                )
            ),
            (
                "/api/auth/api-keys/{id}/roll",
                OpenAPI.PathItem(
                    parameters: [.b(Endpoint.idParameter("key"))],
                    post: Endpoint.operation(
                        "rollAPIKey",
                        tag: "api-keys",
                        summary: "Roll a key: a new key with the same name and scope; the old one expires after the grace period",
                        body: Endpoint.jsonBody(
                            "How long the old key keeps working.",
                            properties: ["graceSeconds": .integer(maximum: (604_800, exclusive: false), minimum: (0, exclusive: false))]
                        ),
                        responses: [
                            (
                                201,
                                Responses.json(
                                    "The new key, with its plaintext (`Cache-Control: no-store`).",
                                    Schemas.ref("CreatedAPIKey"),
                                    headers: [("Cache-Control", OpenAPI.Header(schema: .string(allowedValues: "no-store"), required: true))]
                                )
                            )
                        ],
                        errors: Errors.change(
                            forbidden: ["forbidden"],
                            notFound: true,
                            conflict: ["api_key_expiring", "api_key_limit_reached", "conflict"]
                        )
                    )
                )
            ),
            (
                "/api/auth/api-keys/report",
                OpenAPI.PathItem(
                    post: Endpoint.operation(
                        "reportLeakedAPIKeys",
                        tag: "api-keys",
                        summary: "Report keys seen where they should not be: every valid one among them is revoked",
                        description: """
                            No credentials. The answer is the same whether or not anything matched; each owner of a revoked                             key gets an `api_key.leaked` event.
                            """,
                        body: Endpoint.jsonBody(
                            "The candidate strings.",
                            properties: ["keys": .array(minItems: 1, maxItems: 20, items: .string(maxLength: 200))]
                        ),
                        responses: [(202, Responses.json("Received.", Schemas.ref("Status")))],
                        errors: {
                            var errors = Errors.change()
                            errors.unauthenticated = false
                            return errors
                        }(),
                        security: Security.none
                    )
                )
            ),
        ]
    }
}
