import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error the API answers with: rendered as `application/problem+json` (RFC 9457) with a stable `code`.
/// Nothing in it ever holds a key.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// Stable machine-readable reason, e.g. `invalid_api_key`.
    public var code: String
    /// Human-readable explanation of this occurrence.
    public var detail: String
    /// For 400s: each offending field and what is wrong with it.
    public var fieldErrors: [FieldError]
    /// Extra headers (`WWW-Authenticate`, `Retry-After`, `Allow`).
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status,
        code: String,
        detail: String,
        fieldErrors: [FieldError] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.headers = headers
    }

    /// One invalid field of a request.
    public struct FieldError: Codable, Sendable, Equatable {
        /// The field's name (or `body`, or a query parameter's name).
        public var field: String
        public var message: String
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let (headers, body) = rendered()
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// The answer's fields (before `Content-Length`) and problem+json body: what ``response(from:context:)``
    /// answers, also written directly by ``SynchronousReadHandler``.
    func rendered() -> (headers: HTTPFields, body: ByteBuffer) {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        var writer = JSONWriter(capacity: 256)
        writer.object { json in
            json.field("type", "about:blank")
            json.field("title", status.reasonPhrase)
            json.field("status", status.code)
            json.field("detail", detail)
            json.field("code", code)
            if !fieldErrors.isEmpty {
                json.key("errors")
                json.array { array in
                    for error in fieldErrors {
                        array.object { item in
                            item.field("field", error.field)
                            item.field("message", error.message)
                        }
                    }
                }
            }
        }
        return (headers, writer.buffer)
    }
}

extension APIError {
    /// 400 with the offending fields listed.
    public static func invalidFields(_ errors: [FieldError]) -> APIError {
        APIError(.badRequest, code: "invalid_request", detail: "The request has invalid fields.", fieldErrors: errors)
    }

    /// 400 for one bad field.
    public static func invalidField(_ field: String, _ message: String) -> APIError {
        .invalidFields([FieldError(field: field, message: message)])
    }

    /// 401. `keyPresented` adds `error="invalid_token"` to the challenge. The detail never says why.
    public static func unauthenticated(keyPresented: Bool) -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = keyPresented ? #"Bearer realm="bureau", error="invalid_token""# : #"Bearer realm="bureau""#
        return APIError(
            .unauthorized,
            code: keyPresented ? "invalid_api_key" : "unauthenticated",
            detail: keyPresented
                ? "The API key is not valid."
                : "Authenticate with an API key in the x-api-key header, or sign in.",
            headers: headers
        )
    }

    /// 413: the body is larger than `http.max_body_bytes`.
    public static var bodyTooLarge: APIError {
        APIError(.contentTooLarge, code: "body_too_large", detail: "The request body is larger than this server accepts.")
    }

    /// 403 `insufficient_scope`: a `read` API key asked for a change.
    public static var insufficientScope: APIError {
        APIError(
            .forbidden,
            code: "insufficient_scope",
            detail: "This API key is read-only: it may read but not change anything. Use a key with the full scope."
        )
    }

    /// 404 for a resource of the named kind.
    public static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", detail: "\(what) was not found.")
    }

    /// 403 for a resource of the named kind that belongs to someone else.
    public static func forbidden(_ what: String) -> APIError {
        APIError(.forbidden, code: "forbidden", detail: "\(what) belongs to another account.")
    }

    /// Maps a refusal of the store to the API's answer.
    public init(_ error: StoreError) {
        switch error {
        case .notFound(let what): self = .notFound(what)
        case .forbidden(let what): self = .forbidden(what)
        case .conflict(let code, let detail): self = APIError(.conflict, code: code, detail: detail)
        case .unavailable(let detail): self = APIError(.serviceUnavailable, code: "store_unavailable", detail: detail)
        case .invalidInput(let problems):
            self = .invalidFields(problems.map { FieldError(field: $0.field, message: $0.message) })
        case .credentialEnded(let credential):
            // Like any refused credential: the answer never says why (revoked, ended or expired).
            if case .apiKey = credential { self = .unauthenticated(keyPresented: true) } else { self = .unauthenticated(keyPresented: false) }
        case .insufficientScope: self = .insufficientScope
        case .invalid(let inconsistency):
            self = APIError(.conflict, code: "conflict", detail: "The change conflicts with the current state (\(inconsistency.kind)).")
        }
    }
}
