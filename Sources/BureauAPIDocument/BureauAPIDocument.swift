import Foundation
import OpenAPIKit

/// The OpenAPI 3.1 description of every endpoint the server routes, served at `GET /api/openapi.json`.
/// One value built in code (paths in `Paths+*.swift`, schemas in `Schemas.swift`, responses and
/// headers in `Responses.swift`), checked against the router by a test and against the live server by
/// schemathesis (`make contract`).
public enum BureauAPIDocument {
    /// The path the document is served at.
    public static let path = "/api/openapi.json"

    /// The document.
    public static var document: OpenAPI.Document {
        OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: OpenAPI.Document.Info(
                title: "Le Bureau API",
                description: """
                    Bureau's HTTP API: API keys, sessions (sign-in with providers, dev-login), desktops, tasks and \
                    their activity stream, and the operational endpoints. Every `/api` answer carries the rate-limit \
                    fields `RateLimit-Policy` and `RateLimit` (none for exempt clients or when the limit is off); \
                    every answer carries `x-request-id`. Errors are `application/problem+json` with a stable `code`.
                    """,
                version: "1"
            ),
            servers: [],
            paths: paths,
            components: OpenAPI.Components.direct(
                schemas: Schemas.components,
                securitySchemes: Security.schemes
            ),
            security: Security.anyCredential,
            tags: [
                OpenAPI.Tag(name: "auth", description: "Who is calling, sessions and sign-in"),
                OpenAPI.Tag(name: "api-keys", description: "The caller's API keys"),
                OpenAPI.Tag(name: "desktops", description: "The caller's desktops"),
                OpenAPI.Tag(name: "tasks", description: "Mission control: the caller's tasks"),
                OpenAPI.Tag(name: "activity", description: "The caller's events, as pages and as a live stream"),
                OpenAPI.Tag(name: "operations", description: "Health, readiness, metrics and this document"),
                OpenAPI.Tag(name: "dashboard", description: "The embedded web dashboard"),
            ]
        )
    }

    /// Every path, in the order a reader meets them.
    static var paths: OpenAPI.PathItem.Map {
        var paths = OpenAPI.PathItem.Map()
        let groups: [[(String, OpenAPI.PathItem)]] = [
            AuthPaths.items, KeyPaths.items, DesktopPaths.items, TaskPaths.items, ActivityPaths.items, OperationalPaths.items,
        ]
        for group in groups {
            for (path, item) in group { paths[OpenAPI.Path(rawValue: path)] = .b(item) }
        }
        return paths
    }

    /// The document as JSON, keys sorted (the same bytes for the same document): what the server serves.
    public static func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(document))
    }
}
