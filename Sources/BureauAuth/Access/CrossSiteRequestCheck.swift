/// Where a browser request comes from, judged by `Sec-Fetch-Site` (which scripts cannot set), else by
/// `Origin`, against the server's own origin (`http.public_origin`). API-key requests are never judged:
/// a key is not sent by a browser on its own, so it cannot be ridden by another site.
public struct CrossSiteRequestCheck: Sendable {
    /// The server's origin, lowercased, without a trailing slash.
    public let origin: String

    /// A check against `publicOrigin`.
    public init(publicOrigin: String) {
        var origin = publicOrigin.lowercased()
        while origin.hasSuffix("/") { origin.removeLast() }
        self.origin = origin
    }

    /// Whether a request with this method (`POST`, `patch`, ...) changes state, so that a
    /// cookie-authenticated one must prove its origin. Unknown methods count as changing state.
    public static func changesState(method: some StringProtocol) -> Bool {
        !(equalsIgnoringCase(method, "GET") || equalsIgnoringCase(method, "HEAD") || equalsIgnoringCase(method, "OPTIONS"))
    }

    /// `true` when the request shows it comes from the server's own pages: `Sec-Fetch-Site: same-origin`,
    /// else (no `Sec-Fetch-Site`) an `Origin` equal to the server's. Neither header: not shown.
    public func isSameOrigin(fetchSite: Substring?, requestOrigin: Substring?) -> Bool {
        if let fetchSite { return Self.equalsIgnoringCase(fetchSite, "same-origin") }
        if let requestOrigin { return Self.equalsIgnoringCase(requestOrigin, origin) }
        return false
    }

    /// `true` when the request shows it comes from another site's page: a `Sec-Fetch-Site` other than
    /// `same-origin` or `none` (typed by the user), or an `Origin` other than the server's. A request
    /// with neither header (curl, a script) is not a cross-site browser request.
    public func isCrossSite(fetchSite: Substring?, requestOrigin: Substring?) -> Bool {
        if let fetchSite, !Self.equalsIgnoringCase(fetchSite, "same-origin"), !Self.equalsIgnoringCase(fetchSite, "none") {
            return true
        }
        if let requestOrigin, !Self.equalsIgnoringCase(requestOrigin, origin) { return true }
        return false
    }

    /// ASCII case-insensitive equality, byte by byte (no lowercased copy).
    static func equalsIgnoringCase(_ text: some StringProtocol, _ other: some StringProtocol) -> Bool {
        guard text.utf8.count == other.utf8.count else { return false }
        return zip(text.utf8, other.utf8).allSatisfy { lowered($0) == lowered($1) }
    }

    private static func lowered(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}
