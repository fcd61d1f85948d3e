import OpenAPIKit

/// Builds one operation: its answers (success first, then ``Errors``), parameters, body and security.
enum Endpoint {
    static func operation(
        _ operationID: String,
        tag: String,
        summary: String,
        description: String? = nil,
        parameters: [OpenAPI.Parameter] = [],
        body: OpenAPI.Request? = nil,
        responses: [(Int, OpenAPI.Response)],
        errors: Errors?,
        security: [OpenAPI.SecurityRequirement]? = nil
    ) -> OpenAPI.Operation {
        var answers: [(Int, OpenAPI.Response)] = []
        for (status, response) in responses + (errors?.responses ?? []) {
            // A status both the endpoint and the access gate can answer (a sign-in's HTML page, the gate's
            // problem): one response with both bodies, both sets of headers, both descriptions.
            if let index = answers.firstIndex(where: { $0.0 == status }) {
                var merged = answers[index].1
                merged.description = [merged.description, response.description].compactMap { $0 }.joined(separator: " Or: ")
                for (type, content) in response.content { merged.content[type] = content }
                for (name, header) in response.headers ?? [:] where merged.headers?[name] == nil { merged.headers?[name] = header }
                answers[index].1 = merged
            } else {
                answers.append((status, response))
            }
        }
        var map = OpenAPI.Response.Map()
        for (status, response) in answers.sorted(by: { $0.0 < $1.0 }) {
            map[.status(code: status)] = .b(response)
        }
        return OpenAPI.Operation(
            tags: [tag],
            summary: summary,
            description: description,
            operationId: operationID,
            parameters: parameters.map { .b($0) },
            requestBody: body,
            responses: map,
            security: security
        )
    }

    /// A required JSON object body with `properties` (unknown fields are ignored, so allowed).
    static func jsonBody(_ description: String, properties: OpenAPIKit.OrderedDictionary<String, JSONSchema>) -> OpenAPI.Request {
        OpenAPI.Request(
            description: description,
            content: [Responses.json: .b(OpenAPI.Content(schema: .object(properties: properties)))],
            required: true
        )
    }

    /// `{id}` in the path.
    static func idParameter(_ what: String) -> OpenAPI.Parameter {
        .path(name: "id", schema: .string(minLength: 1), description: "The \(what)'s id.")
    }

    /// `?limit=`: 1 to 100, default 50.
    static var limit: OpenAPI.Parameter {
        .query(
            name: "limit",
            schema: .integer(maximum: (100, exclusive: false), minimum: (1, exclusive: false), defaultValue: 50),
            description: "Items per page, 1 to 100 (default 50)."
        )
    }

    /// `?cursor=`: the previous page's `nextCursor`, an opaque token of the list named `kind`. Its pattern
    /// admits the cursors of that list for positions of up to 18 digits (the base64url of `kind:` and three
    /// digits at a time), so a generated one is a real cursor; any other value is a 400.
    static func cursor(kind: String) -> OpenAPI.Parameter {
        let prefix = Array(kind.utf8) + Array(":".utf8)
        return .query(
            name: "cursor",
            schema: .string(pattern: "^\(base64URL(prefix))(?:[MN][DTjz][AEIMQUYcgk][w-z0-5]){1,6}$"),
            description: "The previous page's `nextCursor`, as it was given; anything else is a 400."
        )
    }

    /// Unpadded base64url of `bytes` (whose count is a multiple of 3 here).
    private static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var text = ""
        var index = 0
        while index + 2 < bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { text.append(alphabet[Int((group >> UInt32(shift)) & 63)]) }
            index += 3
        }
        return text
    }
}
