import BureauDashboard
import Crypto
import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard: its page at `/` and its files at `/assets/<name>` (`GET` and `HEAD`), all embedded in
/// the binary (``DashboardAssets``). Every answer carries ``PageSecurityHeaders``, a strong `ETag` (a
/// digest of the content) and `Cache-Control: no-cache`: a browser keeps the files but asks each time
/// whether they changed, and `If-None-Match` with the current tag answers `304` without a body, so a new
/// binary's files are used at once. A name that is not one of the files is a 404, whatever its spelling:
/// names are looked up, never turned into a file path.
struct DashboardController {
    /// The path of the stylesheet, which the server's other pages link too.
    static let stylesheetPath = "/assets/dashboard.css"

    static let page = ServedAsset(DashboardAssets.page)
    static let files: [String: ServedAsset] = DashboardAssets.files.mapValues(ServedAsset.init)

    func register(on router: some RouterMethods<BureauRequestContext>) {
        router.get("/") { request, _ in Self.serve(Self.page, for: request) }
        router.head("/") { request, _ in Self.serve(Self.page, for: request) }
        router.get("/assets/{name}") { request, context in Self.serve(Self.file(context), for: request) }
        router.head("/assets/{name}") { request, context in Self.serve(Self.file(context), for: request) }
    }

    private static func file(_ context: BureauRequestContext) -> ServedAsset? {
        context.parameters.get("name").flatMap { files[$0] }
    }

    /// The answer to `request` for `asset`: the content, `304 Not Modified`, or 404 when there is no asset.
    static func serve(_ asset: ServedAsset?, for request: Request) -> Response {
        var headers = PageSecurityHeaders.fields
        guard let asset else {
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.cacheControl] = "no-store"
            let body = ByteBuffer(string: "Not found.\n")
            return Response(status: .notFound, headers: headers, body: request.method == .head ? .init() : .init(byteBuffer: body))
        }
        headers[.eTag] = asset.etag
        headers[.cacheControl] = "no-cache"
        if asset.matches(request.headers[values: .ifNoneMatch]) {
            var response = Response(status: .notModified, headers: headers)
            response.headers[.contentLength] = nil
            return response
        }
        headers[.contentType] = asset.contentType
        headers[.contentLength] = String(asset.body.readableBytes)
        return Response(status: .ok, headers: headers, body: request.method == .head ? .init() : .init(byteBuffer: asset.body))
    }
}

/// An embedded file ready to serve: its bytes in a buffer, its type, and its entity tag.
struct ServedAsset: Sendable {
    let body: ByteBuffer
    let contentType: String
    /// A strong tag: the first 128 bits of the content's SHA-256, quoted.
    let etag: String

    init(_ asset: DashboardAsset) {
        body = ByteBuffer(bytes: asset.bytes)
        contentType = asset.contentType
        let digest = SHA256.hash(data: asset.bytes).prefix(16)
        etag = "\"" + digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined() + "\""
    }

    /// Whether an `If-None-Match` holding `values` names this version (weak comparison, as RFC 9110 asks
    /// of `If-None-Match`; `*` names any).
    func matches(_ values: [String]) -> Bool {
        for value in values {
            for candidate in value.split(separator: ",") {
                var tag = candidate.trimmingSpaces
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
                if tag == etag[...] { return true }
            }
        }
        return false
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

extension Substring {
    /// Without the spaces and tabs at either end.
    fileprivate var trimmingSpaces: Substring {
        var slice = self
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
