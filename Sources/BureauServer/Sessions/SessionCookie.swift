import BureauAuth
import HTTPTypes

/// The session cookie: `__Host-bureau_session`, `HttpOnly; Secure; SameSite=Lax; Path=/`, no `Domain`.
/// With `auth.cookie_secure: false` (plain-HTTP localhost) it is `bureau_session` without `Secure`, since
/// a browser neither sends a `Secure` cookie over HTTP nor accepts a `__Host-` one without it.
public struct SessionCookie: Sendable, Equatable {
    /// `auth.cookie_secure`.
    public let secure: Bool
    /// How long a browser keeps it: the absolute timeout, after which the server would refuse it anyway.
    public let maxAgeSeconds: Int

    /// A cookie in `secure` mode, kept by browsers for `maxAgeSeconds`.
    public init(secure: Bool, maxAgeSeconds: Int) {
        self.secure = secure
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// The cookie's name.
    public var name: String { secure ? "__Host-bureau_session" : "bureau_session" }

    private var attributes: String { secure ? "Path=/; HttpOnly; Secure; SameSite=Lax" : "Path=/; HttpOnly; SameSite=Lax" }

    /// The `Set-Cookie` value that hands `secret` to the browser.
    public func setting(_ secret: SessionSecret) -> String {
        "\(name)=\(secret.value); \(attributes); Max-Age=\(maxAgeSeconds)"
    }

    /// The `Set-Cookie` value that makes the browser drop the cookie (same name and attributes).
    public var clearing: String { "\(name)=; \(attributes); Max-Age=0" }

    /// The value of this cookie in a request's `Cookie` fields (the first one named so), if any.
    public func value(in headers: HTTPFields) -> Substring? {
        CookieHeader.value(named: name, in: headers)
    }
}
