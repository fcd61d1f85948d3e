import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The part of a browser a sign-in test needs outside Bureau's test client: plain GETs that never follow
/// redirects, carrying cookies, over real sockets (to a fake provider, or to a running `bureau`).
public enum FakeBrowser {
    /// What a GET answered.
    public struct Page: Sendable {
        public var status: Int
        /// The `Location` field, if any.
        public var location: String?
        /// Every `Set-Cookie` field.
        public var setCookies: [String]
        public var body: String
    }

    /// A client that never follows redirects, for the whole test process.
    private static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(5)))
    )

    /// GETs `url` with `cookies` (`name=value` each).
    public static func get(_ url: String, cookies: [String] = []) async throws -> Page {
        var request = HTTPClientRequest(url: url)
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.joined(separator: "; ")) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Page(
            status: Int(response.status.code),
            location: response.headers.first(name: "Location"),
            setCookies: response.headers["Set-Cookie"],
            body: String(buffer: body)
        )
    }

    /// GETs `url` (a provider's authorization URL) and returns the `Location` it redirects to.
    public static func authorize(_ url: String) async throws -> String {
        let page = try await get(url)
        guard (300..<400).contains(page.status), let location = page.location else { throw FakeBrowserError.noRedirect(page.status) }
        return location
    }
}

/// Why ``FakeBrowser`` could not follow a sign-in.
public enum FakeBrowserError: Error {
    case noRedirect(Int)
}
