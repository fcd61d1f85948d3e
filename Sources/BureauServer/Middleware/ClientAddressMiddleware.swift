import BureauAuth
import HTTPTypes
import Hummingbird
import NIOCore

/// Decides which address each request comes from (see ``ClientIPResolver``) and records it in the context,
/// before authentication, which needs it for the failed-key blocker, and before the rate limits.
///
/// A request without a socket peer (served in-process, never over TCP) counts as coming from `::`, the
/// unspecified address.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let resolver: ClientIPResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let peer = context.remoteAddress.flatMap(IPAddress.init(socketAddress:)) ?? .unspecified
        // Without trusted proxies no header is believed: skip collecting X-Forwarded-For at all.
        context.clientAddress =
            resolver.trustedProxies.isEmpty ? peer : resolver.clientAddress(peer: peer, forwardedFor: request.headers[values: .xForwardedFor])
        return try await next(request, context)
    }
}

extension IPAddress {
    /// `::`, standing for "no address".
    static let unspecified = IPAddress.v6(high: 0, low: 0)

    /// The IP address of a socket address, read from the socket structure (no text round trip);
    /// `nil` for a Unix-domain socket. The offsets are those of `sockaddr_in` (address at byte 4) and
    /// `sockaddr_in6` (address at byte 8), the same on every platform Bureau builds for.
    init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            self = withUnsafeBytes(of: address.address) { bytes in
                .v4(bytes[4..<8].reduce(0) { $0 << 8 | UInt32($1) })
            }
        case .v6(let address):
            self = withUnsafeBytes(of: address.address) { bytes in
                IPAddress(
                    ipv6High: bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) },
                    low: bytes[16..<24].reduce(0) { $0 << 8 | UInt64($1) }
                )
            }
        case .unixDomainSocket:
            return nil
        }
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`, believed only from trusted proxies.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
