import BureauAPIDocument
import BureauServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OpenAPIKit
import Testing

/// `GET /api/openapi.json` holds true: the document names exactly the routes the router has, validates,
/// is OpenAPI 3.1, declares every operation's errors, and is served without credentials.
@Suite struct OpenAPIDocumentTests {
    /// Every route of a router with every optional route on (dev-login; `/metrics` on the main listener),
    /// as `METHOD /path/{param}`.
    static func routerRoutes() -> Set<String> {
        var settings = TestHarness.settings
        settings.devLogin = true
        settings.metricsEnabled = true
        settings.metricsPort = 0
        let table = RouteTable()
        _ = buildRouter(TestHarness(settings: settings).services, routes: table)
        var routes = Set<String>()
        for (path, methods) in table.routes {
            for method in methods { routes.insert("\(method.rawValue) \(normalised(path))") }
        }
        return routes
    }

    /// Every operation of the document, as `METHOD /path/{param}`.
    static func documentRoutes(_ document: OpenAPI.Document) -> Set<String> {
        var routes = Set<String>()
        for (path, item) in document.paths {
            guard let item = item.b else { continue }
            for endpoint in item.endpoints { routes.insert("\(endpoint.method.rawValue) \(normalised(path.rawValue))") }
        }
        return routes
    }

    /// One spelling of a path template: `/` between segments, none at the end, and `{name}` for a parameter
    /// however the router spells it (`:name` too).
    static func normalised(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { segment -> String in
            if segment.hasPrefix(":") { return "{\(segment.dropFirst())}" }
            return String(segment)
        }
        return "/" + segments.joined(separator: "/")
    }

    @Test func normalisingPathsTreatsBothParameterSpellingsAlike() {
        #expect(Self.normalised("/api/desktops/:id") == "/api/desktops/{id}")
        #expect(Self.normalised("/api/desktops/{id}/") == "/api/desktops/{id}")
        #expect(Self.normalised("/") == "/")
        #expect(Self.normalised("api//desktops") == "/api/desktops")
    }

    @Test func documentNamesExactlyTheRoutesTheRouterHas() {
        let router = Self.routerRoutes()
        let document = Self.documentRoutes(BureauAPIDocument.document)
        #expect(router.count > 20)
        #expect(router.subtracting(document).sorted() == [], "routed but not in the OpenAPI document")
        #expect(document.subtracting(router).sorted() == [], "in the OpenAPI document but not routed")
    }

    @Test func theComparisonSeesAMissingOrExtraRoute() {
        var document = BureauAPIDocument.document
        document.paths[OpenAPI.Path(rawValue: "/api/desktops/{id}")] = nil
        document.paths[OpenAPI.Path(rawValue: "/api/nothing")] = .b(OpenAPI.PathItem(get: BureauAPIDocument.document.paths.first?.value.b?.get))
        let router = Self.routerRoutes()
        let described = Self.documentRoutes(document)
        #expect(router.subtracting(described) == ["GET /api/desktops/{id}", "PATCH /api/desktops/{id}", "DELETE /api/desktops/{id}"])
        #expect(described.subtracting(router) == ["GET /api/nothing"])
    }

    @Test func documentValidatesAndIsOpenAPI31() throws {
        let document = BureauAPIDocument.document
        #expect(try document.validate(strict: true).isEmpty)
        #expect(document.openAPIVersion.rawValue.hasPrefix("3.1."))
        let encoded = try BureauAPIDocument.encoded()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(encoded)) as? [String: Any])
        #expect((json["openapi"] as? String)?.hasPrefix("3.1.") == true)
        // What is served reads back as the same document.
        let decoded = try JSONDecoder().decode(OpenAPI.Document.self, from: Data(encoded))
        #expect(decoded.paths.count == document.paths.count)
        #expect(try decoded.validate(strict: true).isEmpty)
    }

    /// The statuses an operation declares, with the problem `code` values of each problem+json one.
    static func problems(of operation: OpenAPI.Operation, in document: OpenAPI.Document) -> [Int: [String]] {
        var problems: [Int: [String]] = [:]
        for (status, response) in operation.responses {
            guard let code = Int(status.rawValue), let response = response.b else { continue }
            guard let content = response.content[OpenAPI.ContentType(rawValue: "application/problem+json")!]?.b else {
                problems[code] = problems[code] ?? []
                continue
            }
            var codes: [String] = []
            if case .all(let parts, _) = content.schema?.value {
                for part in parts {
                    if case .object(_, let object) = part.value, case .string(let core, _) = object.properties["code"]?.value {
                        codes += (core.allowedValues ?? []).compactMap { $0.value as? String }
                    }
                }
            }
            problems[code] = codes
        }
        return problems
    }

    @Test func everyOperationDeclaresItsErrors() throws {
        let document = BureauAPIDocument.document
        var checked = 0
        for (path, item) in document.paths {
            let item = try #require(item.b)
            for endpoint in item.endpoints {
                let label = "\(endpoint.method.rawValue) \(path.rawValue)"
                let problems = Self.problems(of: endpoint.operation, in: document)
                #expect(problems.keys.contains { (200..<400).contains($0) }, "\(label) declares no success")
                guard path.rawValue.hasPrefix("/api/") else { continue }
                checked += 1
                // The access gate's answers, on every /api route.
                #expect(problems[401]?.contains("invalid_api_key") == true, "\(label): 401")
                #expect(Set(problems[429] ?? []).isSuperset(of: ["rate_limited", "api_key_auth_blocked"]), "\(label): 429")
                #expect(problems[503]?.contains("key_checks_busy") == true, "\(label): 503")
                #expect(problems[500] == ["internal_error"], "\(label): 500")
                if endpoint.operation.security != [] {
                    #expect(problems[401]?.contains("unauthenticated") == true, "\(label): 401 without credentials")
                }
                if endpoint.method != .builtin(.get) {
                    #expect(problems[403]?.contains("cross_site_request") == true, "\(label): 403 for a cross-site change")
                    #expect(problems[503]?.contains("store_unavailable") == true, "\(label): 503 when the store takes no writes")
                }
                if endpoint.operation.requestBody != nil {
                    #expect(Set(problems[400] ?? []).isSuperset(of: ["invalid_request", "malformed_json"]), "\(label): 400")
                    #expect(problems[413] == ["body_too_large"], "\(label): 413")
                }
                if path.rawValue.hasSuffix("{id}") { #expect(problems[404] == ["not_found"], "\(label): 404") }
                let readsQuery = endpoint.operation.parameters.contains { $0.b?.context.inQuery == true }
                if readsQuery, !path.rawValue.contains("/oauth/") {
                    #expect(problems[400]?.contains("invalid_request") == true, "\(label): 400 for a bad parameter")
                }
            }
        }
        #expect(checked >= 17)
    }

    @Test func documentIsServedWithoutCredentialsAndRateLimited() async throws {
        let harness = TestHarness()
        try await harness.application.test(.router) { client in
            let response = try await client.send(.get, "/api/openapi.json")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(Array(response.body.readableBytesView) == (try BureauAPIDocument.encoded()))
            #expect(response.headers[HTTPField.Name("RateLimit")!] != nil)
            #expect(response.headers[HTTPField.Name("x-request-id")!] != nil)
            // A bad key is judged even here.
            let refused = try await client.send(.get, "/api/openapi.json", key: "lb_k_notakey")
            #expect(refused.status == .unauthorized)
        }
    }
}
