import BureauAuth
import BureauSignIn
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle

/// Everything the HTTP layer works with, built once at start-up.
public struct BureauServices: Sendable {
    public let store: BureauStore
    /// Everything a user can do, with the domain's rules: controllers only translate to and from it.
    public let operations: Operations
    public let verifier: APIKeyVerifier
    public let hasher: APIKeyHasher
    public let settings: ServerSettings
    /// The rate limits and the failed-key blocker (`settings.rateLimits`), shared by all requests.
    public let rateLimits: APIRateLimits
    /// Whether the store can take writes now (`/readyz` says `read_only` while it cannot).
    public let isWritable: @Sendable () -> Bool
    /// The open activity streams, told of every commit of `store`.
    public let activity: ActivityHub
    /// Checks session cookies and enforces their timeouts.
    public let sessions: SessionVerifier
    /// Starts and ends sessions.
    public let issuer: SessionIssuer
    /// The session cookie's name and attributes (`auth.cookie_secure`).
    public let cookie: SessionCookie
    /// The open HTTP connections of each client, capped by `http.max_connections_per_client`.
    public let connections: ClientConnections
    /// The one access decision for `/api` requests (keys, sessions, limits, CSRF).
    public let gate: AccessGate
    /// Where each request's log record goes.
    public let requestLog: any RequestLog
    /// Every instrument, served at `/metrics`.
    public let metrics: ServerMetrics
    /// Sign-in with the configured providers (`auth.oauth.*`, `auth.oidc.*`); `nil` when none is configured.
    public let signIn: ProviderSignIn?
    /// The reads answered on the event loop when `http.synchronous_reads` is on.
    let synchronousReads: SynchronousReads

    /// Services over `store`; the rate limits read time from `clock` and log blocks to `logger`;
    /// `isWritable` tells `/readyz` whether the data directory takes writes; new keys come from `minter`
    /// (default: the format and bcrypt at `auth.bcrypt_cost`); request records go to `requestLog` (default:
    /// the request's logger, at once); `signIn` holds the configured sign-in providers.
    public init(
        store: BureauStore,
        settings: ServerSettings,
        clock: any MonotonicClock = SystemMonotonicClock(),
        logger: Logger = Logger(label: "bureau.rate-limits"),
        isWritable: @escaping @Sendable () -> Bool = { true },
        minter: (any APIKeyMinter)? = nil,
        requestLog: any RequestLog = LoggerRequestLog(),
        metrics: ServerMetrics = ServerMetrics(),
        signIn: ProviderSignIn? = nil
    ) {
        self.store = store
        self.requestLog = requestLog
        self.metrics = metrics
        self.signIn = signIn
        let accessMetrics = AccessMetrics(factory: metrics.factory)
        self.settings = settings
        self.isWritable = isWritable
        self.hasher = APIKeyHasher(cost: settings.bcryptCost)
        self.verifier = APIKeyVerifier(store: store, hasher: hasher, bcryptDuration: accessMetrics.bcryptDuration)
        self.rateLimits = APIRateLimits(settings: settings.rateLimits, clock: clock, logger: logger)
        let sessions = SessionVerifier(store: store, lifetime: settings.sessionLifetime)
        self.sessions = sessions
        self.operations = Operations(
            store: store,
            policy: OperationPolicy(
                maxKeysPerUser: settings.maxKeysPerUser,
                sessionLifetime: settings.sessionLifetime,
                maxKeyLifetimeDays: settings.maxKeyLifetimeDays,
                unusedKeyDays: settings.unusedKeyDays
            ),
            minter: minter ?? hasher,
            sessionLastSeen: { sessions.usage.lastSeen($0) },
            keyLastUsed: { [usage = verifier.usage] in usage.lastUsed($0) }
        )
        self.issuer = SessionIssuer(operations: operations)
        self.cookie = SessionCookie(secure: settings.cookieSecure, maxAgeSeconds: settings.sessionAbsoluteSeconds)
        self.connections = ClientConnections(limitPerClient: settings.maxConnectionsPerClient)
        self.gate = AccessGate(
            verifier: verifier,
            limits: rateLimits,
            sessions: sessions,
            origin: CrossSiteRequestCheck(publicOrigin: settings.origin),
            publicRoutes: [
                SessionsController.devLoginPath, SessionsController.providersPath, OAuthController.startPath, OAuthController.callbackPath,
                OpenAPIController.path,
                APIKeysController.reportPath,
            ],
            queryKeyRoute: ActivityController.streamPath,
            // A ticket lets a read key open the stream: it changes nothing a read key could not read.
            readScopeChangeRoutes: [ActivityController.ticketsPath],
            now: { [store] in store.now() },
            metrics: accessMetrics
        )
        let hub = ActivityHub(
            bufferLimit: settings.streamBufferEvents,
            maxStreamsPerUser: settings.maxStreamsPerUser,
            durableThrough: store.read { $0.sequence }
        )
        self.activity = hub
        store.observe { hub.publish($0) }
        store.observe { hub.closeStreams(ofSessionsEndedBy: $0) }
        store.observeDurability { hub.markDurable(through: $0) }
        synchronousReads = SynchronousReads(gate: gate, operations: operations, requestLog: requestLog, metrics: metrics)
        metrics.collect(from: self)
    }
}

/// The router: middleware in order (request log, problem rendering, then for every `/api` route, however its
/// path is spelled, the access gate: client address, credentials, rate limits, requirement, CSRF), then
/// the controllers, the dashboard (`/`, `/assets/...`) among them. Every route is recorded in `routes`
/// (the 405 answers read it, and a test compares it with the OpenAPI document).
/// Tests build it directly.
public func buildRouter(_ services: BureauServices, routes: RouteTable = RouteTable()) -> Router<BureauRequestContext> {
    let router = Router(context: BureauRequestContext.self)
    router.add(middleware: RequestLogMiddleware(log: services.requestLog, metrics: services.metrics))
    router.add(middleware: ProblemMiddleware(routes: routes))
    router.add(
        middleware: APIAccessMiddleware(
            gate: services.gate,
            routes: routes,
            cookie: services.cookie,
            policyField: HTTPField(name: .rateLimitPolicy, value: services.rateLimits.fields.policy)
        )
    )

    let recording = RecordingRouter(router: router, table: routes)
    HealthController(isWritable: services.isWritable).register(on: recording)
    if services.settings.metricsEnabled, services.settings.metricsPort == 0 {
        MetricsController(metrics: services.metrics).register(on: recording)
    }
    DashboardController().register(on: recording)
    OpenAPIController().register(on: recording)
    recording.addRoutes(AuthController(operations: services.operations).endpoints, atPath: "/api/auth")
    recording.addRoutes(SessionsController(services: services).endpoints, atPath: "/api/auth")
    recording.addRoutes(OAuthController(services: services).endpoints, atPath: "/api/auth/oauth")
    recording.addRoutes(
        APIKeysController(operations: services.operations, verifier: services.verifier, settings: services.settings).endpoints,
        atPath: "/api/auth/api-keys"
    )
    recording.addRoutes(DesktopsController(operations: services.operations, settings: services.settings).endpoints, atPath: "/api/desktops")
    recording.addRoutes(
        TasksController(operations: services.operations, settings: services.settings).endpoints,
        atPath: "/api/mission-control/tasks"
    )
    recording.addRoutes(
        ActivityController(store: services.store, operations: services.operations, hub: services.activity, tickets: services.gate.tickets)
            .endpoints,
        atPath: "/api/mission-control/activity"
    )
    return router
}

/// The router's responder, with activity-stream requests handled in a task of their own so that an open
/// stream's connection task keeps only a shallow stack (``StreamRequestResponder``). Tests serve it too.
public func buildResponder(_ services: BureauServices) -> some HTTPResponder<BureauRequestContext> {
    StreamRequestResponder(base: buildRouter(services).buildResponder())
}

/// HTTP/1.1 as Hummingbird serves it, with a smaller first receive buffer per connection and the limits
/// of `settings` on idle connections, slow request heads and connections per client (``HTTP1Connection``),
/// counting connections in `connections`. Tests serve it too.
public func httpServer(
    _ settings: ServerSettings = ServerSettings(),
    connections: ClientConnections? = nil
) -> HTTPServerBuilder {
    let connections = connections ?? ClientConnections(limitPerClient: settings.maxConnectionsPerClient)
    return HTTP1Connection.builder(limits: ConnectionLimits(settings, connections: connections))
}

/// ``httpServer(_:connections:)`` for `services`: their settings, their count of connections; with
/// `http.synchronous_reads` (or `synchronousReads`, when given: tests serve both ways over one set of
/// services), the reads ``SynchronousReads`` answers on the event loop.
public func httpServer(_ services: BureauServices, synchronousReads: Bool? = nil) -> HTTPServerBuilder {
    HTTP1Connection.builder(
        limits: ConnectionLimits(services.settings, connections: services.connections),
        synchronousReads: (synchronousReads ?? services.settings.synchronousReads) ? services.synchronousReads : nil
    )
}

/// With `auth.revoke_unused_keys` (and `auth.unused_key_days`): the service that revokes the keys unused that
/// long, at start and then hourly on `clock` (a server restarted more often than hourly still sweeps);
/// `nil` otherwise. Tests drive it with their own clock.
public func unusedKeySweep<C: Clock>(_ services: BureauServices, clock: C, logger: Logger) -> PeriodicService<C>?
where C.Duration == Duration {
    guard services.settings.revokeUnusedKeys, services.settings.unusedKeyDays != nil else { return nil }
    return PeriodicService(name: "unused-key-sweep", interval: .seconds(3600), clock: clock, logger: logger, runsAtStart: true, runsAtShutdown: false)
    {
        [operations = services.operations] in
        let revoked = try await operations.revokeUnusedKeys()
        if revoked > 0 { logger.info("revoked unused API keys", metadata: ["count": "\(revoked)"]) }
    }
}

/// The whole server: the router, bound where the settings say, with its background services.
public func buildApplication(
    _ services: BureauServices,
    logger: Logger,
    extraServices: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let usageFlush = PeriodicService(
        name: "key-usage-flush",
        interval: .seconds(services.settings.keyUsageFlushSeconds),
        clock: ContinuousClock(),
        logger: logger
    ) { [recorder = services.verifier.usage] in
        try await recorder.flush()
    }
    // Limiter state of clients gone quiet is dropped once a minute, so memory follows current traffic.
    let rateLimitSweep = PeriodicService(name: "rate-limit-sweep", interval: .seconds(60), clock: ContinuousClock(), logger: logger) {
        [rateLimits = services.rateLimits] in
        rateLimits.sweep()
    }
    // Session uses are written and expired sessions pruned on the same beat as key uses.
    let sessionSweep = PeriodicService(
        name: "session-sweep",
        interval: .seconds(services.settings.keyUsageFlushSeconds),
        clock: ContinuousClock(),
        logger: logger
    ) { [sessions = services.sessions, operations = services.operations] in
        try await sessions.flushAndPrune()
        // Idempotency records past their 24 hours leave memory (and so the next snapshot) on the same beat.
        try await operations.expireIdempotencyRecords()
    }
    let unusedKeySweep: [any Service] = [unusedKeySweep(services, clock: ContinuousClock(), logger: logger)].compactMap { $0 }
    let heartbeat = ActivityHeartbeat(
        hub: services.activity,
        interval: .seconds(services.settings.heartbeatSeconds),
        clock: ContinuousClock(),
        store: services.store
    )
    // `/metrics` on a listener of its own when `metrics.port` is set (say, on an address only the monitoring reaches).
    var metricsListener: [any Service] = []
    if services.settings.metricsEnabled, services.settings.metricsPort > 0 {
        let router = Router(context: BasicRequestContext.self)
        MetricsController(metrics: services.metrics).register(on: router)
        metricsListener.append(
            Application(
                router: router,
                configuration: .init(
                    address: .hostname(services.settings.metricsHost ?? services.settings.host, port: services.settings.metricsPort),
                    serverName: nil
                ),
                logger: logger
            )
        )
    }
    return Application(
        responder: buildResponder(services),
        server: httpServer(services),
        configuration: .init(
            address: .hostname(services.settings.host, port: services.settings.port),
            serverName: nil,
            backlog: services.settings.listenBacklog
        ),
        // Shut down in reverse order: the server drains (open streams end on graceful shutdown, so they
        // never hold it up), key usage is flushed, then extra services (the final snapshot) run their last step.
        services: extraServices + [usageFlush, sessionSweep, rateLimitSweep, heartbeat] + unusedKeySweep + metricsListener,
        onServerRunning: { channel in
            await HTTP1Connection.prepareListener(channel)
            await onServerRunning(channel.localAddress?.port ?? services.settings.port)
        },
        logger: logger
    )
}
