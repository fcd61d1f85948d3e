import OpenAPIKit

/// `/api/desktops`: the caller's desktops. Another user's desktop is 403, a missing one 404.
enum DesktopPaths {
    static let status = JSONSchema.string(allowedValues: "running", "stopped")

    /// `$response.body#/id` of a created desktop as the operation's `id` (or a task's `desktopId`).
    static func link(_ operationID: String, parameter: String = "id") -> Either<OpenAPI.Reference<OpenAPI.Link>, OpenAPI.Link> {
        .b(OpenAPI.Link(operationId: operationID, parameters: [parameter: .a(OpenAPI.RuntimeExpression(rawValue: "$response.body#/id")!)]))
    }

    static var items: [(String, OpenAPI.PathItem)] {
        [
            (
                "/api/desktops",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "listDesktops",
                        tag: "desktops",
                        summary: "The caller's desktops, a page at a time",
                        parameters: [Endpoint.limit, Endpoint.cursor(kind: "desktops")],
                        responses: [(200, Responses.json("A page of desktops.", Schemas.ref("DesktopList")))],
                        errors: Errors(badRequest: ["invalid_request"])
                    ),
                    post: Endpoint.operation(
                        "createDesktop",
                        tag: "desktops",
                        summary: "Create a desktop",
                        body: Endpoint.jsonBody(
                            "The desktop's name, and its status (default `running`).",
                            properties: ["name": Schemas.displayName, "status": status.optionalSchemaObject()]
                        ),
                        responses: [
                            (
                                201,
                                Responses.json(
                                    "The new desktop.",
                                    Schemas.ref("Desktop"),
                                    links: [
                                        "getDesktop": link("getDesktop"),
                                        "updateDesktop": link("updateDesktop"),
                                        "deleteDesktop": link("deleteDesktop"),
                                    ]
                                )
                            )
                        ],
                        errors: Errors.change()
                    )
                )
            ),
            (
                "/api/desktops/{id}",
                OpenAPI.PathItem(
                    parameters: [.b(Endpoint.idParameter("desktop"))],
                    get: Endpoint.operation(
                        "getDesktop",
                        tag: "desktops",
                        summary: "One of the caller's desktops",
                        responses: [(200, Responses.json("The desktop.", Schemas.ref("Desktop")))],
                        errors: Errors(forbidden: ["forbidden"], notFound: true)
                    ),
                    delete: Endpoint.operation(
                        "deleteDesktop",
                        tag: "desktops",
                        summary: "Delete a desktop; its unfinished tasks become `cancelled`",
                        responses: [(204, Responses.empty("Deleted."))],
                        errors: Errors.change(badRequest: [], forbidden: ["forbidden"], notFound: true, readsBody: false)
                    ),
                    patch: Endpoint.operation(
                        "updateDesktop",
                        tag: "desktops",
                        summary: "Rename a desktop or change its status",
                        body: Endpoint.jsonBody(
                            "A new name, a new status, both, or neither (which changes nothing).",
                            properties: [
                                "name": Schemas.displayName.optionalSchemaObject(),
                                "status": status.optionalSchemaObject(),
                            ]
                        ),
                        responses: [(200, Responses.json("The desktop as changed.", Schemas.ref("Desktop")))],
                        errors: Errors.change(forbidden: ["forbidden"], notFound: true)
                    )
                )
            ),
        ]
    }
}
