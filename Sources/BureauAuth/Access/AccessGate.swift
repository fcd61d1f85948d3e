import BureauStore
import CoreMetrics
import Synchronization

/// The one access decision for every governed request (``APIPath/isGoverned(route:path:)``): from the
/// client, the presented credentials, the route, the method and the origin headers to a verdict. HTTP
/// middleware only reads the request into an ``AccessRequest`` and turns the verdict into a response.
///
/// The checks, in this order (``decide(_:)`` and ``completeKeyCheck(_:)``):
/// 1. a presented API key from a client blocked after failed keys is refused unexamined;
/// 2. the key's shape and checksum (a malformed key fails without a lookup);
/// 3. the digest cache (a key verified before costs one SHA-256, no bcrypt, no suspension);
/// 4. bcrypt, only for an active key not yet cached, after taking one of the client's failure slots
///    (failures plus checks under way never exceed the failed-key limit in a window; at most
///    ``maxKeyChecksPerClient`` at once) and a server-wide slot (at most ``maxKeyChecks`` at once);
///    past either cap the request is refused at once, never queued. Without a key, the session cookie;
/// 5. the general rate limit, per user or (without valid credentials) per client, refusals included;
/// 6. the requirement: no valid credentials is 401 except on a public route; a cookie-authenticated state
///    change must come from the server's own pages (CSRF); a `read` key may not ask for a state change
///    (any method but GET, HEAD and OPTIONS) on any route: here, once, for every route there is or will be.
public final class AccessGate: Sendable {
    /// Checks API keys.
    public let verifier: APIKeyVerifier
    /// The general limit and the failed-key blocker.
    public let limits: APIRateLimits
    /// Checks session cookies.
    public let sessions: SessionVerifier
    /// Judges where cookie-authenticated state changes come from.
    public let origin: CrossSiteRequestCheck
    /// Routes that answer without credentials (still rate limited per client; a bad key is still refused).
    public let publicRoutes: Set<String>
    /// The one route where an API key may come in the query (`?apiKey=`): the activity stream, which
    /// browsers' `EventSource` cannot give headers.
    public let queryKeyRoute: String
    /// Routes a `read` key may use with a state-changing method, although they change nothing a key could
    /// not read (a ticket for the activity stream). Every other state-changing route refuses such a key.
    public let readScopeChangeRoutes: Set<String>
    /// Single-use tickets for the stream (``StreamTickets``): on the query-key route, a ticket stands for
    /// the credential that made it.
    public let tickets: StreamTickets
    /// The time tickets are judged at (the store's clock).
    private let now: @Sendable () -> Timestamp
    /// Most bcrypt checks under way at once, server-wide.
    public let maxKeyChecks: Int
    /// Most bcrypt checks under way at once for one client.
    public let maxKeyChecksPerClient: Int
    private let keyChecksUnderWay = Atomic<Int>(0)
    /// Outcomes, refusals, cache hits and bcrypt durations.
    public let metrics: AccessMetrics

    /// A gate over these checks; the caps on concurrent bcrypt checks come from `limits.settings`.
    public init(
        verifier: APIKeyVerifier,
        limits: APIRateLimits,
        sessions: SessionVerifier,
        origin: CrossSiteRequestCheck,
        publicRoutes: Set<String>,
        queryKeyRoute: String,
        readScopeChangeRoutes: Set<String> = [],
        tickets: StreamTickets = StreamTickets(),
        now: @escaping @Sendable () -> Timestamp = { Timestamp.now() },
        metrics: AccessMetrics = AccessMetrics()
    ) {
        self.tickets = tickets
        self.now = now
        self.readScopeChangeRoutes = readScopeChangeRoutes
        self.metrics = metrics
        self.verifier = verifier
        self.limits = limits
        self.sessions = sessions
        self.origin = origin
        self.publicRoutes = publicRoutes
        self.queryKeyRoute = queryKeyRoute
        self.maxKeyChecks = max(limits.settings.maxConcurrentKeyChecks, 1)
        self.maxKeyChecksPerClient = max(limits.settings.maxConcurrentKeyChecksPerClient, 1)
    }

    /// Whether a key in the query may be read for `route` (the matched route, whatever the path's spelling).
    public func acceptsKeyInQuery(route: String?) -> Bool {
        route == queryKeyRoute
    }

    /// bcrypt checks under way now, server-wide.
    public var keyChecksInFlight: Int { keyChecksUnderWay.load(ordering: .relaxed) }

    /// The verdict, without suspending, unless the presented key needs bcrypt (step 4): then finish with
    /// ``completeKeyCheck(_:)``.
    public func decide(_ request: AccessRequest) -> AccessStep {
        decide(request, countingCacheMiss: true)
    }

    /// The verdict when ``decide(_:)`` reaches one without bcrypt (the same checks, counters and limiter
    /// slots); `nil`, having changed nothing at all, when the presented key needs bcrypt: the caller then
    /// hands the request to a path that may suspend, which asks ``decide(_:)`` afresh. For callers that
    /// must never suspend (answers written on the connection's event loop).
    public func decideWithoutKeyCheck(_ request: AccessRequest) -> AccessVerdict? {
        switch decide(request, countingCacheMiss: false) {
        case .decided(let verdict): verdict
        case .needsKeyCheck: nil
        }
    }

    private func decide(_ request: AccessRequest, countingCacheMiss: Bool) -> AccessStep {
        guard let key = request.apiKey else {
            if let ticket = request.ticket {
                // Used up whatever follows: a refused request does not leave it for another try.
                let principal = tickets.redeem(ticket, at: now())
                return .decided(conclude(request, principal.map { .principal($0) } ?? .invalidTicket))
            }
            return .decided(conclude(request, sessionFinding(request)))
        }
        // 1. A blocked client's key is not looked at.
        if case .blocked(let seconds) = limits.apiKeyPermission(for: request.client) {
            metrics.record(.blocked)
            return .decided(conclude(request, .refused(.keyAuthBlocked(retryAfterSeconds: seconds))))
        }
        var text = key
        let cached = text.withUTF8 { bytes -> APIKeyVerification? in
            // 2. Shape and checksum.
            guard APIKeyFormat.isWellFormed(bytes) else { return .invalid }
            // 3. The digest cache.
            return verifier.cachedVerdict(ofWellFormed: bytes, client: request.client)
        }
        guard let cached else {
            // 4. bcrypt.
            if countingCacheMiss { metrics.cacheMisses.increment() }
            return .needsKeyCheck(PendingKeyCheck(request: request, key: key))
        }
        if cached == .invalid {
            metrics.record(failureReason(key))
        } else {
            metrics.cacheHits.increment()
            metrics.record(.cached)
        }
        return .decided(conclude(request, finding(for: cached, client: request.client)))
    }

    /// Step 4 and the rest for a key that needs bcrypt: takes the slots, runs (or joins) the check, gives
    /// the slots back (a failed check becomes a counted failure), then steps 5 and 6.
    public func completeKeyCheck(_ pending: PendingKeyCheck) async -> AccessVerdict {
        let client = pending.request.client
        let tracked = !limits.isExempt(client)
        let refusal = Mutex<AccessRefusal?>(nil)
        let result = await verifier.verify(pending.key, client: client) { () -> Bool in
            guard keyChecksUnderWay.add(1, ordering: .relaxed).newValue <= maxKeyChecks else {
                keyChecksUnderWay.subtract(1, ordering: .relaxed)
                refusal.withLock { $0 = .keyChecksBusy(retryAfterSeconds: 1) }
                return false
            }
            if tracked, case .refused(let seconds) = limits.failedAuth.reserveCheck(for: ClientKey(client), maxConcurrent: maxKeyChecksPerClient) {
                keyChecksUnderWay.subtract(1, ordering: .relaxed)
                refusal.withLock { $0 = .keyAuthBlocked(retryAfterSeconds: seconds) }
                return false
            }
            return true
        }
        switch result {
        case .notAdmitted:
            let reason = refusal.withLock { $0 } ?? .keyChecksBusy(retryAfterSeconds: 1)
            if case .keyAuthBlocked = reason { metrics.record(.blocked) } else { metrics.record(.keyChecksBusy) }
            return conclude(pending.request, .refused(reason))
        case .checked(let verdict):
            keyChecksUnderWay.subtract(1, ordering: .relaxed)
            let valid = verdict != .invalid
            metrics.record(valid ? .bcrypt : failureReason(pending.key))
            let outcome = tracked ? limits.failedAuth.finishCheck(for: ClientKey(client), succeeded: valid) : .ignored
            if case .valid(let userID, let keyID) = verdict {
                return conclude(pending.request, .principal(Principal(userID: userID, credential: .apiKey(keyID))))
            }
            return conclude(
                pending.request,
                outcome == .untracked ? .refused(.keyAuthBlocked(retryAfterSeconds: limits.settings.blockSeconds)) : .invalidKey
            )
        case .decided(let verdict):
            metrics.record(verdict == .invalid ? failureReason(pending.key) : .bcrypt)
            return conclude(pending.request, finding(for: verdict, client: client))
        }
    }

    /// Why `key` did not authenticate (for metrics only; runs on failures, which the failed-key limit bounds).
    private func failureReason(_ key: Substring) -> AuthOutcome {
        var text = key
        return text.withUTF8 { bytes in
            guard APIKeyFormat.isWellFormed(bytes) else { return APIKeyFormat.hasKeyShape(bytes) ? .badChecksum : .badShape }
            return verifier.refusalReason(lookupID: APIKeyFormat.lookupID(ofWellFormed: bytes))
        }
    }

    /// What the credentials came to, before the limiter and the requirement.
    enum Finding: Equatable {
        /// Valid credentials.
        case principal(Principal)
        /// An API key that did not authenticate (counted as a failure).
        case invalidKey
        /// A session cookie (no key) that did not authenticate.
        case invalidSession
        /// A stream ticket that is unknown, used or expired.
        case invalidTicket
        /// No credentials.
        case none
        /// Refused before the credentials were judged.
        case refused(AccessRefusal)
    }

    /// The finding for a key verdict reached without this request running bcrypt; a failure is counted,
    /// and a client the blocker cannot track is refused as blocked (a full table fails closed).
    private func finding(for verdict: APIKeyVerification, client: IPAddress) -> Finding {
        switch verdict {
        case .valid(let userID, let keyID):
            return .principal(Principal(userID: userID, credential: .apiKey(keyID)))
        case .invalid:
            if limits.recordFailedAPIKey(from: client) == .untracked {
                return .refused(.keyAuthBlocked(retryAfterSeconds: limits.settings.blockSeconds))
            }
            return .invalidKey
        }
    }

    /// The finding for a request without an API key: its session cookie, if any.
    private func sessionFinding(_ request: AccessRequest) -> Finding {
        guard let cookie = request.sessionCookie else { return .none }
        switch sessions.verify(cookie) {
        case .valid(let userID, let sessionID):
            metrics.record(.session)
            return .principal(Principal(userID: userID, credential: .session(sessionID)))
        case .invalid:
            metrics.record(.invalidSession)
            return .invalidSession
        }
    }

    /// Steps 5 and 6.
    private func conclude(_ request: AccessRequest, _ finding: Finding) -> AccessVerdict {
        // 5. The general limit counts every request, refused ones included.
        let subject: RateLimitSubject
        if case .principal(let principal) = finding {
            subject = .user(principal.userID)
        } else {
            subject = .client(ClientKey(request.client))
        }
        let decision = limits.admit(subject, from: request.client)
        if case .denied(let seconds) = decision {
            metrics.record(.general)
            return AccessVerdict(.refused(.rateLimited(retryAfterSeconds: seconds)), rateLimit: decision)
        }
        // 6. The requirement, and the origin of cookie-authenticated changes.
        switch finding {
        case .principal(let principal):
            if case .session = principal.credential, CrossSiteRequestCheck.changesState(method: request.method),
                !origin.isSameOrigin(fetchSite: request.fetchSite, requestOrigin: request.origin)
            {
                return AccessVerdict(.refused(.crossSite), rateLimit: decision)
            }
            if case .apiKey(let keyID) = principal.credential, CrossSiteRequestCheck.changesState(method: request.method),
                !(request.route.map { readScopeChangeRoutes.contains($0) } ?? false), !verifier.allowsChanges(keyID: keyID)
            {
                return AccessVerdict(.refused(.insufficientScope), rateLimit: decision)
            }
            return AccessVerdict(.admitted(principal), rateLimit: decision)
        case .refused(let refusal):
            switch refusal {
            case .keyAuthBlocked: metrics.record(.failedAuth)
            case .keyChecksBusy: metrics.record(.keyChecks)
            default: break
            }
            return AccessVerdict(.refused(refusal), rateLimit: decision)
        case .invalidKey:
            return AccessVerdict(.refused(.unauthenticated(keyPresented: true, clearCookie: false)), rateLimit: decision)
        case .invalidTicket:
            return AccessVerdict(.refused(.unauthenticated(keyPresented: false, clearCookie: false)), rateLimit: decision)
        case .invalidSession, .none:
            // A public route admits a request without valid credentials: a stale cookie is no obstacle to
            // signing in again, which is what it is for.
            if let route = request.route ?? request.path, publicRoutes.contains(route) {
                return AccessVerdict(.admitted(nil), rateLimit: decision)
            }
            return AccessVerdict(.refused(.unauthenticated(keyPresented: false, clearCookie: finding == .invalidSession)), rateLimit: decision)
        }
    }
}
