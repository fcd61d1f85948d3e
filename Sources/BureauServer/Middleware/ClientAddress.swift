import BureauAuth
import HTTPTypes
import Hummingbird
import NIOCore

/// Decides which address a request comes from (see ``ClientIPResolver``): the socket peer, or what a
/// trusted proxy in front of it reports. Needed before authentication (the failed-key blocker) and the
/// rate limits.
///
/// A request without a socket peer (served in-process, never over TCP) counts as coming from `::`, the
/// unspecified address.
enum ClientAddress {
    static func of(_ request: Request, context: BureauRequestContext, resolver: ClientIPResolver) -> IPAddress {
        of(peer: context.remoteAddress, headers: request.headers, resolver: resolver)
    }

    /// The client of a request with `headers` from the socket peer `remoteAddress` (the one rule, shared by
    /// the router's path and ``SynchronousReadHandler``).
    static func of(peer remoteAddress: SocketAddress?, headers: HTTPFields, resolver: ClientIPResolver) -> IPAddress {
        let peer = remoteAddress.flatMap(IPAddress.init(socketAddress:)) ?? .unspecified
        // Without trusted proxies no header is believed: skip collecting X-Forwarded-For at all.
        guard !resolver.trustedProxies.isEmpty else { return peer }
        return resolver.clientAddress(peer: peer, forwardedFor: headers[values: .xForwardedFor])
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
