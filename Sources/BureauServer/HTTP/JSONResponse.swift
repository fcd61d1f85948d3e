import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// Builds JSON answers.
enum JSONResponse {
    /// `value` as `application/json` with `status`; `headers` are added (they never hold a `Content-Type`).
    static func make(_ value: some JSONRepresentable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        // Room for what every answer gets (this field, `x-request-id`) and an `/api` answer's two rate-limit
        // fields, so appending them never grows the storage.
        headers.reserveCapacity(headers.count + 4)
        headers.append(contentType)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body(value)))
    }

    /// `value`'s JSON text, as ``make(_:status:headers:)`` answers it.
    static func body(_ value: some JSONRepresentable) -> ByteBuffer {
        var writer = JSONWriter()
        value.write(to: &writer)
        return writer.buffer
    }

    /// `Content-Type: application/json; charset=utf-8`, built (and its value checked) once, not per answer.
    static let contentType = HTTPField(name: .contentType, value: "application/json; charset=utf-8")

    /// An empty `204 No Content`.
    static func noContent() -> Response {
        Response(status: .noContent)
    }
}

/// Opaque pagination cursors: base64url of a kind tag and an ordinal, so clients cannot mix them up.
enum Cursor {
    static func encode(kind: String, ordinal: UInt64) -> String {
        encodeText(String(ordinal), kind: kind)
    }

    /// A cursor holding `text` (digits and dots only) instead of a bare ordinal.
    static func encodeText(_ text: String, kind: String) -> String {
        Data("\(kind):\(text)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The ordinal inside `cursor`, or a 400 if it is not a cursor of this kind.
    static func decode(_ cursor: String, kind: String) throws -> UInt64 {
        guard let ordinal = UInt64(try decodeText(cursor, kind: kind)) else { throw invalid }
        return ordinal
    }

    /// The text inside `cursor`, or a 400 if it is not a cursor of this kind.
    static func decodeText(_ cursor: String, kind: String) throws -> String {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard cursor.utf8.count <= 64, !base64.contains("=") else { throw invalid }
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == kind else { throw invalid }
        return String(parts[1])
    }

    private static var invalid: APIError { .invalidField("cursor", "is not a cursor returned by this list") }
}

/// Reading and checking query parameters.
struct Query {
    /// The request's parameters, parsed once (empty when the URI has no query).
    private let parameters: FlatDictionary<Substring, Substring>

    /// A list's page size when the request names none.
    static let defaultLimit = 50

    init(uri: URI) {
        parameters = uri.queryParameters
    }

    /// `?limit=`: an integer in 1...max, default `defaultValue`.
    func limit(default defaultValue: Int = Query.defaultLimit, max: Int = 100) throws -> Int {
        guard let raw = value("limit") else { return defaultValue }
        guard let value = Int(raw), (1...max).contains(value) else {
            throw APIError.invalidField("limit", "must be an integer from 1 to \(max)")
        }
        return value
    }

    /// A query parameter's value, if present.
    func string(_ name: String) -> String? {
        value(Substring(name)).map(String.init)
    }

    private func value(_ name: Substring) -> Substring? {
        // Most list requests carry no query at all: skip hashing the name then.
        parameters.isEmpty ? nil : parameters[name]
    }
}
