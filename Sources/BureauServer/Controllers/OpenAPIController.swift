import BureauAPIDocument
import Hummingbird
import NIOCore

/// `GET /api/openapi.json`: the OpenAPI 3.1 document of this API (``BureauAPIDocument``), encoded once per
/// process and served as the same bytes to everyone. A public route of the access gate: it needs no
/// credentials and, like every `/api` route, counts against the client's general rate limit.
struct OpenAPIController {
    /// The route, as the router names it.
    static let path = BureauAPIDocument.path

    /// The encoded document. A value built in code that does not encode is a programming error, which the
    /// route tests catch before any release.
    static let body: ByteBuffer = {
        do {
            return ByteBuffer(bytes: try BureauAPIDocument.encoded())
        } catch {
            preconditionFailure("The OpenAPI document does not encode: \(error)")
        }
    }()

    func register(on router: some RouterMethods<BureauRequestContext>) {
        let body = Self.body
        router.get(RouterPath(stringLiteral: Self.path)) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }
}
