import OpenAPIKit

/// `/healthz`, `/readyz`, `/metrics`, this document, and the dashboard (`/`, `/assets/{name}`): none needs
/// credentials and none says anything about users.
enum OperationalPaths {
    static var items: [(String, OpenAPI.PathItem)] {
        [
            (
                "/healthz",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "getHealth",
                        tag: "operations",
                        summary: "The process is alive",
                        responses: [(200, Responses.json("Alive: `{\"status\": \"ok\"}`.", Schemas.ref("Status"), scope: .other))],
                        errors: nil,
                        security: Security.none
                    )
                )
            ),
            (
                "/readyz",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "getReadiness",
                        tag: "operations",
                        summary: "State is recovered and the store takes writes",
                        responses: [
                            (200, Responses.json("Ready: `{\"status\": \"ready\"}`.", Schemas.ref("Status"), scope: .other)),
                            (
                                503,
                                Responses.json(
                                    "Reads only (say, the disk is full): `{\"status\": \"read_only\"}`.",
                                    Schemas.ref("Status"),
                                    scope: .other
                                )
                            ),
                        ],
                        errors: nil,
                        security: Security.none
                    )
                )
            ),
            (
                "/metrics",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "getMetrics",
                        tag: "operations",
                        summary: "Prometheus metrics",
                        description: """
                            Served here unless `metrics.enabled` is off or `metrics.port` puts it on a listener of its own. No \
                            user data, keys or raw paths in it.
                            """,
                        responses: [
                            (
                                200,
                                OpenAPI.Response(
                                    description: "The Prometheus text format.",
                                    headers: Responses.headers(.other),
                                    content: [OpenAPI.ContentType(rawValue: "text/plain; version=0.0.4")!: .b(OpenAPI.Content(schema: .string))]
                                )
                            )
                        ],
                        errors: nil,
                        security: Security.none
                    )
                )
            ),
            (
                BureauAPIDocument.path,
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "getOpenAPIDocument",
                        tag: "operations",
                        summary: "This document",
                        description: "Needs no credentials; rate limited per client like every `/api` endpoint.",
                        responses: [(200, Responses.json("The OpenAPI 3.1 document.", .object))],
                        errors: Errors(unauthenticated: false),
                        security: Security.none
                    )
                )
            ),
            ("/", OpenAPI.PathItem(get: page(get: true), head: page(get: false))),
            (
                "/assets/{name}",
                OpenAPI.PathItem(
                    parameters: [.b(.path(name: "name", schema: .string(minLength: 1, examples: ["dashboard.css"]), description: "A file's name."))],
                    get: asset(get: true),
                    head: asset(get: false)
                )
            ),
        ]
    }

    /// The dashboard's headers: a strong `ETag` of the content, `Cache-Control: no-cache`.
    static var assetHeaders: [(String, OpenAPI.Header)] {
        [
            ("ETag", OpenAPI.Header(schema: .string, required: true)),
            ("Cache-Control", OpenAPI.Header(schema: .string(allowedValues: "no-cache"), required: true)),
        ]
    }

    static let notModified = Responses.empty(
        "`If-None-Match` names the current version.",
        scope: .other,
        headers: assetHeaders
    )

    static var ifNoneMatch: OpenAPI.Parameter {
        .header(name: "If-None-Match", schema: .string, description: "An `ETag` the client holds.")
    }

    static func page(get: Bool) -> OpenAPI.Operation {
        Endpoint.operation(
            get ? "getDashboard" : "headDashboard",
            tag: "dashboard",
            summary: "The dashboard's page",
            parameters: [ifNoneMatch],
            responses: [
                (
                    200,
                    OpenAPI.Response(
                        description: "The page (its headers alone for `HEAD`).",
                        headers: Responses.headers(.other, assetHeaders),
                        content: get ? [.html: .b(OpenAPI.Content(schema: .string))] : [:]
                    )
                ),
                (304, notModified),
            ],
            errors: nil,
            security: Security.none
        )
    }

    static func asset(get: Bool) -> OpenAPI.Operation {
        Endpoint.operation(
            get ? "getDashboardAsset" : "headDashboardAsset",
            tag: "dashboard",
            summary: "One of the dashboard's files",
            parameters: [ifNoneMatch],
            responses: [
                (
                    200,
                    OpenAPI.Response(
                        description: "The file (its headers alone for `HEAD`).",
                        headers: Responses.headers(.other, assetHeaders),
                        content: get
                            ? [
                                .css: .b(OpenAPI.Content(schema: .string)),
                                OpenAPI.ContentType(rawValue: "text/javascript")!: .b(OpenAPI.Content(schema: .string)),
                                .svg: .b(OpenAPI.Content(schema: .string)),
                            ] : [:]
                    )
                ),
                (304, notModified),
                (
                    404,
                    OpenAPI.Response(
                        description: "No such file.",
                        headers: Responses.headers(.other),
                        content: get ? [.txt: .b(OpenAPI.Content(schema: .string))] : [:]
                    )
                ),
            ],
            errors: nil,
            security: Security.none
        )
    }
}
