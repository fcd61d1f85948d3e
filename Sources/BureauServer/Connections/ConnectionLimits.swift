import NIOCore

/// What one HTTP connection may cost: how long it may stay idle, how long its request head may take, and
/// how many connections its client may hold at once.
public struct ConnectionLimits: Sendable {
    /// A connection with no request in progress is closed after this (`http.idle_timeout_seconds`).
    public var idleTimeout: TimeAmount
    /// A request head not complete this long after it began drops its connection
    /// (`http.request_head_timeout_seconds`).
    public var requestHeadTimeout: TimeAmount
    /// At graceful shutdown, a connection still busy this long after it began is closed
    /// (`http.shutdown_grace_seconds`).
    public var shutdownGrace: TimeAmount
    /// The open connections by client, with the cap per client (`http.max_connections_per_client`).
    public var connections: ClientConnections

    /// The limits `settings` configure, counting connections in `connections`.
    public init(_ settings: ServerSettings, connections: ClientConnections) {
        idleTimeout = .seconds(Int64(settings.idleTimeoutSeconds))
        requestHeadTimeout = .seconds(Int64(settings.requestHeadTimeoutSeconds))
        shutdownGrace = .seconds(Int64(settings.shutdownGraceSeconds))
        self.connections = connections
    }
}
