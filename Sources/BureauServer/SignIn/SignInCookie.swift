import HTTPTypes

/// The cookie that binds a sign-in to the browser that started it: `__Host-bureau_signin`,
/// `HttpOnly; Secure; SameSite=Lax; Path=/`, no `Domain`, kept 10 minutes. Lax, not Strict: the
/// provider sends the browser back with a top-level cross-site GET, which must carry it. With
/// `auth.cookie_secure: false` it is `bureau_signin` without `Secure`, like the session cookie.
public struct SignInCookie: Sendable, Equatable {
    /// `auth.cookie_secure`.
    public let secure: Bool
    /// How long a browser keeps it: a sign-in pending longer is refused anyway.
    public let maxAgeSeconds: Int

    public init(secure: Bool, maxAgeSeconds: Int = 600) {
        self.secure = secure
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// The cookie's name.
    public var name: String { secure ? "__Host-bureau_signin" : "bureau_signin" }

    private var attributes: String { secure ? "Path=/; HttpOnly; Secure; SameSite=Lax" : "Path=/; HttpOnly; SameSite=Lax" }

    /// The `Set-Cookie` value that hands the browser binding `value` to the browser.
    public func setting(_ value: String) -> String {
        "\(name)=\(value); \(attributes); Max-Age=\(maxAgeSeconds)"
    }

    /// The `Set-Cookie` value that makes the browser drop it.
    public var clearing: String { "\(name)=; \(attributes); Max-Age=0" }

    /// Its value in a request's `Cookie` fields, if any.
    public func value(in headers: HTTPFields) -> Substring? {
        CookieHeader.value(named: name, in: headers)
    }
}

/// Reading one cookie out of a request's `Cookie` fields.
enum CookieHeader {
    /// The value of the first cookie called `name`, if any.
    static func value(named name: String, in headers: HTTPFields) -> Substring? {
        for field in headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                return trimmed[trimmed.index(after: equals)...].prefix { $0 != " " && $0 != "\t" }
            }
        }
        return nil
    }
}
