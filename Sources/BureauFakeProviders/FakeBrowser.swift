import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The part of a browser a sign-in test needs outside Bureau: visiting a provider's authorization URL
/// and reading where the provider sends it back (the fakes redirect at once, without a page).
public enum FakeBrowser {
    /// A client that never follows redirects, for the whole test process.
    private static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(5)))
    )

    /// GETs `url` and returns the `Location` it redirects to.
    public static func authorize(_ url: String) async throws -> String {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard (300..<400).contains(Int(response.status.code)), let location = response.headers.first(name: "Location") else {
            throw FakeBrowserError.noRedirect(Int(response.status.code))
        }
        return location
    }
}

/// Why ``FakeBrowser`` could not follow a sign-in.
public enum FakeBrowserError: Error {
    case noRedirect(Int)
}
