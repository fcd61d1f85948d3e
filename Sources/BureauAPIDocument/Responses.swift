import OpenAPIKit

/// The answers endpoints share: JSON bodies, problem+json errors with the `code` values each status can
/// carry, and the response headers (`x-request-id` on every answer, the rate-limit fields on `/api` ones).
enum Responses {
    static let problemJSON = OpenAPI.ContentType(rawValue: "application/problem+json")!
    static let json = OpenAPI.ContentType.json

    /// Where an endpoint lives: `/api` answers carry the rate-limit fields, others only `x-request-id`.
    enum Scope {
        case api
        case other
    }

    static var requestID: OpenAPI.Header {
        OpenAPI.Header(
            schema: .string,
            description: "The request's id, as in the server's log lines for it. On every answer.",
            required: true
        )
    }

    static var rateLimitPolicy: OpenAPI.Header {
        OpenAPI.Header(
            schema: .string(examples: [#""general";q=120;w=60"#]),
            description: "The general limit (IETF RateLimit fields). Absent for exempt clients or when the limit is off."
        )
    }

    static var rateLimit: OpenAPI.Header {
        OpenAPI.Header(
            schema: .string(examples: [#""general";r=119;t=60"#]),
            description: "Requests left in the window and seconds until a slot frees. Absent for exempt clients or when the limit is off."
        )
    }

    static func retryAfter(required: Bool) -> OpenAPI.Header {
        OpenAPI.Header(schema: .integer(minimum: (0, exclusive: false)), description: "Seconds to wait before retrying.", required: required)
    }

    static var wwwAuthenticate: OpenAPI.Header {
        OpenAPI.Header(
            schema: .string,
            description: #"`Bearer realm="bureau"`, with `error="invalid_token"` when an API key was sent."#,
            required: true
        )
    }

    /// The headers of an answer in `scope`, with `extra`.
    static func headers(_ scope: Scope, _ extra: [(String, OpenAPI.Header)] = []) -> OpenAPI.Header.Map {
        var map: OpenAPI.Header.Map = ["x-request-id": .b(requestID)]
        if scope == .api {
            map["RateLimit-Policy"] = .b(rateLimitPolicy)
            map["RateLimit"] = .b(rateLimit)
        }
        for (name, header) in extra { map[name] = .b(header) }
        return map
    }

    /// A JSON answer.
    static func json(
        _ description: String,
        _ schema: JSONSchema,
        scope: Scope = .api,
        headers extra: [(String, OpenAPI.Header)] = [],
        links: OpenAPI.Link.Map = [:]
    ) -> OpenAPI.Response {
        OpenAPI.Response(
            description: description,
            headers: headers(scope, extra),
            content: [json: .b(OpenAPI.Content(schema: schema))],
            links: links
        )
    }

    /// An answer without a body.
    static func empty(_ description: String, scope: Scope = .api, headers extra: [(String, OpenAPI.Header)] = []) -> OpenAPI.Response {
        OpenAPI.Response(description: description, headers: headers(scope, extra))
    }

    /// A problem+json answer whose `code` is one of `codes`.
    static func problem(
        _ description: String,
        codes: [String],
        scope: Scope = .api,
        headers extra: [(String, OpenAPI.Header)] = []
    ) -> OpenAPI.Response {
        let schema = JSONSchema.all(
            of: [
                Schemas.ref("Problem"),
                .object(properties: ["code": .string(allowedValues: codes.sorted().map { AnyCodable($0) })]),
            ]
        )
        return OpenAPI.Response(
            description: description,
            headers: headers(scope, extra),
            content: [problemJSON: .b(OpenAPI.Content(schema: schema))]
        )
    }
}

/// The errors an endpoint can answer with, each with its `code` values: one list per endpoint, so the
/// document says exactly what can happen where.
struct Errors {
    var badRequest: [String] = []
    /// Whether a credential is required (401 when there is none or it is invalid); a public endpoint still
    /// answers 401 to an invalid API key presented to it.
    var unauthenticated = true
    var forbidden: [String] = []
    var notFound = false
    var conflict: [String] = []
    /// Whether the endpoint reads a body (413 over `http.max_body_bytes`).
    var readsBody = false
    /// Other 429 codes than the rate limit's (`too_many_streams`).
    var tooManyRequests: [String] = []
    /// Other 503 codes than `key_checks_busy` (`store_unavailable` for changes).
    var unavailable: [String] = []

    /// A state change: a cookie-authenticated one from another origin is 403 `cross_site_request`, and a
    /// store that cannot take writes is 503 `store_unavailable`.
    static func change(
        badRequest: [String] = ["invalid_request", "malformed_json"],
        forbidden: [String] = [],
        notFound: Bool = false,
        conflict: [String] = [],
        readsBody: Bool = true
    ) -> Errors {
        Errors(
            badRequest: badRequest,
            forbidden: forbidden + ["cross_site_request", "insufficient_scope"],
            notFound: notFound,
            conflict: conflict,
            readsBody: readsBody,
            unavailable: ["store_unavailable"]
        )
    }

    /// The error answers, by status.
    var responses: [(Int, OpenAPI.Response)] {
        var answers: [(Int, OpenAPI.Response)] = []
        if !badRequest.isEmpty {
            answers.append((400, Responses.problem("The request is malformed or has invalid fields (listed in `errors`).", codes: badRequest)))
        }
        answers.append(
            (
                401,
                Responses.problem(
                    unauthenticated
                        ? "No valid session cookie or API key. The body never says why."
                        : "An API key was presented and is not valid (this endpoint needs none).",
                    codes: unauthenticated ? ["invalid_api_key", "unauthenticated"] : ["invalid_api_key"],
                    headers: [("WWW-Authenticate", Responses.wwwAuthenticate)]
                )
            )
        )
        if !forbidden.isEmpty {
            answers.append((403, Responses.problem("The resource belongs to another user, or a cross-site change.", codes: forbidden)))
        }
        if notFound { answers.append((404, Responses.problem("No such resource (or it was deleted or revoked).", codes: ["not_found"]))) }
        if !conflict.isEmpty { answers.append((409, Responses.problem("The change conflicts with the current state.", codes: conflict))) }
        if readsBody {
            answers.append((413, Responses.problem("The body is larger than `http.max_body_bytes`.", codes: ["body_too_large"])))
        }
        answers.append(
            (
                429,
                Responses.problem(
                    "Rate limited (`Retry-After` says for how long), or API keys from this address are blocked.",
                    codes: ["api_key_auth_blocked", "rate_limited"] + tooManyRequests,
                    headers: [("Retry-After", Responses.retryAfter(required: tooManyRequests.isEmpty))]
                )
            )
        )
        answers.append(
            (
                503,
                Responses.problem(
                    "The server cannot take this request now: too many API-key checks under way, or the store cannot take writes.",
                    codes: ["key_checks_busy"] + unavailable,
                    headers: [("Retry-After", Responses.retryAfter(required: false))]
                )
            )
        )
        answers.append(
            (500, Responses.problem("An unexpected error, logged with the request's id; never the answer to bad input.", codes: ["internal_error"]))
        )
        return answers
    }
}
