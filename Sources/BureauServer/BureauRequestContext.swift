import BureauAuth
import BureauStore
import Hummingbird
import Logging
import NIOCore

/// The user a request acts for, and the credential that proved it (``Principal``).
public typealias Identity = Principal

/// Per-request state shared between middleware and controllers.
public struct BureauRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The socket peer (the client, or the proxy in front of it).
    public let remoteAddress: SocketAddress?
    /// Set by authentication when the request's credentials are valid.
    public var identity: Identity?
    /// `true` when the request presented an API key that did not authenticate.
    public var presentedInvalidKey: Bool = false
    /// The client's address: the socket peer, or what a trusted proxy reports (set before authentication).
    public var clientAddress: IPAddress = .unspecified
    /// The request's id: the response's `x-request-id` and the `hb.request.id` of every log line about it.
    public let requestID: String
    /// What the access gate learnt (client address, principal), for the request log line.
    public let trace = RequestTrace()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        let requestID = RequestIDGenerator.shared.next()
        self.requestID = requestID
        // One id for the log and the response: ours (cheap to make and to write into the header) replaces
        // the framework's in the request's logger, so every line about the request carries the answer's id.
        self.logger[metadataKey: "hb.request.id"] = .string(requestID)
    }

    /// The authenticated user, or a 401 if there is none.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthenticated(keyPresented: presentedInvalidKey) }
        return identity
    }

    /// The authenticated user as the domain's operations take it, or a 401 if there is none.
    public func requester() throws -> Requester {
        .user(try requireIdentity())
    }
}
