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
        context.clientAddress = resolver.clientAddress(peer: peer, forwardedFor: request.headers[values: .xForwardedFor])
        return try await next(request, context)
    }
}

extension IPAddress {
    /// `::`, standing for "no address".
    static let unspecified = IPAddress.v6(high: 0, low: 0)

    /// The IP address of a socket address; `nil` for a Unix-domain socket.
    init?(socketAddress: SocketAddress) {
        guard let text = socketAddress.ipAddress else { return nil }
        self.init(text)
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`, believed only from trusted proxies.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
