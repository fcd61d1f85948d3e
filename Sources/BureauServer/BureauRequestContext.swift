import BureauAuth
import BureauStore
import Hummingbird
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
    /// `true` when the request presented (without an API key) a session cookie that did not authenticate:
    /// unknown, ended or expired. Its refusal also clears the cookie.
    public var presentedInvalidSession: Bool = false
    /// The client's address: the socket peer, or what a trusted proxy reports (set before authentication).
    public var clientAddress: IPAddress = .unspecified
    /// Set by authentication when the request presented an API key that was refused unchecked because its
    /// client is blocked: seconds until the block ends.
    public var apiKeyBlockedForSeconds: Int?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
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
