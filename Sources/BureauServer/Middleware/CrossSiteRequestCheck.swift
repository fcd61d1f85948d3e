import HTTPTypes

/// Where a browser request comes from, judged by `Sec-Fetch-Site` (which scripts cannot set), else by
/// `Origin`, against the server's own origin (`http.public_origin`). API-key requests are never judged:
/// a key is not sent by a browser on its own, so it cannot be ridden by another site.
struct CrossSiteRequestCheck: Sendable {
    /// The server's origin, lowercased, without a trailing slash.
    let origin: String

    /// A check against `publicOrigin`.
    init(publicOrigin: String) {
        var origin = publicOrigin.lowercased()
        while origin.hasSuffix("/") { origin.removeLast() }
        self.origin = origin
    }

    /// The methods a cookie-authenticated request must prove its origin for.
    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method == .post || method == .patch || method == .put || method == .delete
    }

    /// `true` when the request shows it comes from the server's own pages: `Sec-Fetch-Site: same-origin`,
    /// else (no `Sec-Fetch-Site`) an `Origin` equal to the server's. Neither header: not shown.
    func isSameOrigin(_ headers: HTTPFields) -> Bool {
        if let site = headers[.secFetchSite] { return site.lowercased() == "same-origin" }
        if let requestOrigin = headers[.origin] { return requestOrigin.lowercased() == origin }
        return false
    }

    /// `true` when the request shows it comes from another site's page: a `Sec-Fetch-Site` other than
    /// `same-origin` or `none` (typed by the user), or an `Origin` other than the server's. A request
    /// with neither header (curl, a script) is not a cross-site browser request.
    func isCrossSite(_ headers: HTTPFields) -> Bool {
        if let site = headers[.secFetchSite]?.lowercased(), site != "same-origin", site != "none" { return true }
        if let requestOrigin = headers[.origin], requestOrigin.lowercased() != origin { return true }
        return false
    }
}

extension HTTPField.Name {
    /// `Sec-Fetch-Site`: set by browsers on every request, never by scripts.
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}

extension APIError {
    /// 403: a cookie-authenticated state change that does not come from the server's own pages.
    static var crossSiteRequest: APIError {
        APIError(
            .forbidden,
            code: "cross_site_request",
            detail: "A change made with a session cookie must come from this server's own pages (Sec-Fetch-Site or Origin)."
        )
    }

    /// 403: a login started from another site's page.
    static var crossSiteLogin: APIError {
        APIError(.forbidden, code: "cross_site_login", detail: "Sign in from this server's own pages.")
    }
}
