import BureauAuth
import BureauStore
import Logging
import Synchronization

/// What the request log says about one request, gathered on the request path and formatted later, off it
/// (``RequestLog``): nothing here is rendered to text until a line is written.
public struct RequestLogRecord: Sendable {
    /// The request's id, also its response's `x-request-id`.
    public var requestID: String
    /// `GET`, `POST`, ...
    public var method: String
    /// The path and query as sent, with every credential replaced (``LoggedTarget``).
    public var target: String
    /// The route template that matched (`/api/desktops/{id}`), or `nil` when none did.
    public var route: String?
    /// The answer's status code.
    public var status: Int
    /// How long the request took, up to its response (for a stream: up to the stream's start).
    public var duration: Duration
    /// The user the request acted for, when it authenticated.
    public var userID: UserID?
    /// How it authenticated: `api_key` or `session`.
    public var authMethod: String?
    /// The client's address (the socket peer, or what a trusted proxy reported), for `/api` requests.
    public var client: IPAddress?

    public init(
        requestID: String,
        method: String,
        target: String,
        route: String?,
        status: Int,
        duration: Duration,
        userID: UserID? = nil,
        authMethod: String? = nil,
        client: IPAddress? = nil
    ) {
        self.requestID = requestID
        self.method = method
        self.target = target
        self.route = route
        self.status = status
        self.duration = duration
        self.userID = userID
        self.authMethod = authMethod
        self.client = client
    }

    /// Names the user `principal` acted for and how it authenticated (nothing when it did not).
    public mutating func attribute(to principal: Principal?) {
        guard let principal else { return }
        userID = principal.userID
        authMethod =
            switch principal.credential {
            case .apiKey(_): "api_key"
            case .session(_): "session"
            }
    }

    /// The duration in milliseconds, with one decimal.
    public var durationMilliseconds: Double {
        tenthsOfMilliseconds / 10
    }

    /// ``durationMilliseconds`` times ten, as an integer (what the text log writes as `<n / 10>.<n % 10>`,
    /// the same text `String(durationMilliseconds)` gives), or `nil` beyond the integers a `Double` holds exactly.
    public var durationTenthsOfMilliseconds: Int? {
        let tenths = tenthsOfMilliseconds
        guard tenths >= 0, tenths < 9_007_199_254_740_992 else { return nil }
        return Int(tenths)
    }

    private var tenthsOfMilliseconds: Double {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return (milliseconds * 10).rounded()
    }

    /// The record as log metadata (the names every format uses).
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "hb.request.id": .string(requestID),
            "hb.request.method": .string(method),
            "hb.request.uri": .string(target),
            "hb.response.status": .stringConvertible(status),
            "duration_ms": .string(String(durationMilliseconds)),
        ]
        if let route { metadata["route"] = .string(route) }
        if let userID { metadata["user_id"] = .string(userID.description) }
        if let authMethod { metadata["auth_method"] = .string(authMethod) }
        if let client { metadata["client"] = .string(client.description) }
        return metadata
    }
}

/// Where request records go. The server's own writes them from a background thread, batched; the default
/// (``LoggerRequestLog``) logs each through the request's logger at once.
public protocol RequestLog: Sendable {
    /// Whether a record would be written at all (the request path skips gathering one when not).
    func isEnabled(for logger: Logger) -> Bool
    /// Takes one record; must not wait on I/O.
    func record(_ record: RequestLogRecord, logger: Logger)
}

/// Logs each record through the request's logger, at `level`, as metadata (tests read it there).
public struct LoggerRequestLog: RequestLog {
    public var level: Logger.Level

    public init(level: Logger.Level = .info) {
        self.level = level
    }

    public func isEnabled(for logger: Logger) -> Bool { logger.logLevel <= level }

    public func record(_ record: RequestLogRecord, logger: Logger) {
        logger.log(level: level, "request", metadata: record.metadata)
    }
}

/// What later middleware learns about a request that the request log, which runs first, reports: the
/// client's address and the principal. Shared by every copy of the request's context.
public final class RequestTrace: Sendable {
    private struct Facts {
        var client: IPAddress?
        var principal: Principal?
    }

    private let facts = Mutex(Facts())

    public init() {}

    /// Notes the client's address, as the access gate resolved it.
    public func note(client: IPAddress) { facts.withLock { $0.client = client } }
    /// Notes the principal the request acts for.
    public func note(principal: Principal) { facts.withLock { $0.principal = principal } }

    /// What was noted.
    public var snapshot: (client: IPAddress?, principal: Principal?) {
        facts.withLock { ($0.client, $0.principal) }
    }
}
