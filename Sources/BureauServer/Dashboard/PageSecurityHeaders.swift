import HTTPTypes

/// The fields on every answer that is not an `/api` one (the dashboard's page and files, and the 404s of
/// paths outside `/api`): a Content-Security-Policy that allows only this server's own script, styles and
/// connections (no inline script or style, no framing, no foreign form target), and the companions that
/// keep a browser from sniffing types, sending the page's address elsewhere, or framing the page.
public enum PageSecurityHeaders {
    /// The policy: nothing by default; script, style, connections and images from this origin only.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// The fields, built (and their values checked) once.
    public static let fields: HTTPFields = [
        .contentSecurityPolicy: contentSecurityPolicy,
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .xFrameOptions: "DENY",
        .crossOriginOpenerPolicy: "same-origin",
    ]
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
}
