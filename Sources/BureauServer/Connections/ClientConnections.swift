import BureauAuth
import Synchronization

/// The open HTTP connections of each client, capped per client (`http.max_connections_per_client`).
///
/// A client is its socket peer as ``ClientKey`` counts it for the rate limits: an IPv4 address, or the
/// /64 an IPv6 address is in (one subscriber can use any address of its /64, so counting single
/// addresses would be no cap at all). Proxies are not looked through: `X-Forwarded-For` arrives in a
/// request, long after the connection had to be counted. Behind a reverse proxy every connection comes
/// from the proxy, so the cap must be raised or switched off there.
public final class ClientConnections: Sendable {
    /// Connections one client may hold; 0 = no cap.
    public let limitPerClient: Int
    private let open = Mutex<[ClientKey: Int]>([:])

    /// Counts connections, allowing each client `limitPerClient` at a time (0 = no cap).
    public init(limitPerClient: Int) {
        self.limitPerClient = limitPerClient
    }

    /// Counts a new connection of `client`, unless it holds `limitPerClient` already: then `false`, and
    /// nothing is counted. Every `true` must be matched by one ``release(_:)``.
    func admit(_ client: ClientKey) -> Bool {
        open.withLock { open in
            let current = open[client, default: 0]
            guard limitPerClient == 0 || current < limitPerClient else { return false }
            open[client] = current + 1
            return true
        }
    }

    /// Uncounts a connection that ``admit(_:)`` counted, once it has closed.
    func release(_ client: ClientKey) {
        open.withLock { open in
            guard let current = open[client] else { return }
            // Clients with no connection left are forgotten, so the table follows current traffic.
            open[client] = current > 1 ? current - 1 : nil
        }
    }

    /// The open connections of the client at `address`.
    public func count(of address: IPAddress) -> Int {
        open.withLock { $0[ClientKey(address), default: 0] }
    }

    /// The open connections of every client.
    public var total: Int {
        open.withLock { $0.values.reduce(0, +) }
    }

    /// How many clients hold at least one connection.
    public var clients: Int {
        open.withLock { $0.count }
    }
}
