import BureauAuth
import HTTPTypes

extension CrossSiteRequestCheck {
    /// ``isCrossSite(fetchSite:requestOrigin:)`` of a request's fields.
    func isCrossSite(_ headers: HTTPFields) -> Bool {
        isCrossSite(fetchSite: headers[.secFetchSite].map { Substring($0) }, requestOrigin: headers[.origin].map { Substring($0) })
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
