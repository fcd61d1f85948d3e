import OpenAPIKit

/// `/api/auth/api-keys`: create (the plaintext is returned this once), list (masked), revoke.
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
                        body: Endpoint.jsonBody("The key's name.", properties: ["name": Schemas.displayName]),
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
        ]
    }
}
