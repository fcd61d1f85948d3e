import BureauStore

/// The unit a client is limited and blocked as: its IPv4 address, or the /64 its IPv6 address is in.
///
/// One IPv6 subscriber is routinely given a whole /64 and can use any address inside it, so counting
/// single IPv6 addresses would let one client rotate past every limit.
public struct ClientKey: Hashable, Sendable {
    /// The IPv4 address, or the first address of the IPv6 /64.
    public let network: IPAddress

    /// Prefix length that identifies one IPv6 client.
    public static let ipv6PrefixLength = 64

    /// The key of a client at `address`.
    public init(_ address: IPAddress) {
        switch address {
        case .v4:
            network = address
        case .v6:
            network = address.masked(toPrefixLength: Self.ipv6PrefixLength)
        }
    }
}

extension ClientKey: CustomStringConvertible {
    /// `192.0.2.1`, or `2001:db8:1:2::/64`: what logs show of a client.
    public var description: String {
        switch network {
        case .v4: "\(network)"
        case .v6: "\(network)/\(Self.ipv6PrefixLength)"
        }
    }
}

/// Who a request counts against under the general limit: its authenticated user, or (without valid
/// credentials) its client.
public enum RateLimitSubject: Hashable, Sendable {
    /// An authenticated user, however many addresses or keys they use.
    case user(UserID)
    /// A request without valid credentials, by client address.
    case client(ClientKey)
}
