import BureauStore
import BureauTestSupport
import Dispatch
import Logging
import NIOPosix
import Testing

@testable import BureauAuth

/// The access gate without a router: the order of its checks, and its caps on bcrypt.
@Suite("Access gate")
struct AccessGateTests {
    /// A gate over a store with one user and one key; the key's digest is not cached unless `cached`.
    struct Fixture {
        let store: BureauStore
        let hasher: APIKeyHasher
        let gate: AccessGate
        let clock: ManualMonotonicClock
        let user: UserID
        let key: ParsedAPIKey
        let keyID: APIKeyID

        init(settings: RateLimitSettings = RateLimitSettings(), pool: NIOThreadPool = .singleton, cached: Bool = false) async throws {
            store = BureauStore()
            hasher = APIKeyHasher(cost: 4, threadPool: pool)
            clock = ManualMonotonicClock(nanoseconds: 1_000_000_000)
            let verifier = APIKeyVerifier(store: store, hasher: hasher)
            let limits = APIRateLimits(settings: settings, clock: clock, logger: Logger(label: "test"))
            gate = AccessGate(
                verifier: verifier,
                limits: limits,
                sessions: SessionVerifier(store: store, lifetime: .standard),
                origin: CrossSiteRequestCheck(publicOrigin: "https://bureau.example"),
                publicRoutes: ["/api/auth/dev-login"],
                queryKeyRoute: "/api/mission-control/activity/stream"
            )
            let key = APIKeyFormat.generate()
            let hash = try await hasher.hash(key)
            let (user, keyID) = try await store.commit { _, _, now -> (Mutation?, (UserID, APIKeyID)) in
                let user = User(id: .random(), email: "ada@example.com", name: "Ada", createdAt: now)
                return (.userCreated(user), (user.id, APIKeyID.random()))
            }
            try await store.commit { _, _, now -> (Mutation?, Void) in
                let record = APIKeyRecord(
                    id: keyID,
                    userID: user,
                    name: "k",
                    lookupID: key.lookupID,
                    secretHash: hash,
                    lastFour: key.lastFour,
                    createdAt: now
                )
                return (.apiKeyCreated(record), ())
            }
            if cached { verifier.rememberVerified(key, id: keyID) }
            (self.user, self.key, self.keyID) = (user, key, keyID)
        }

        /// A request for `/api/desktops` from `client` presenting `key`.
        func request(key: String?, client: String = "192.0.2.1", route: String? = "/api/desktops", method: String = "GET") -> AccessRequest {
            var request = AccessRequest(client: IPAddress(client)!, route: route, method: method)
            request.apiKey = key.map { Substring($0) }
            return request
        }

        /// The key with the same lookup id and another secret (a valid checksum: only bcrypt can tell).
        func wrongSecret(_ seed: Int) -> String {
            let body = "lb_k_" + key.lookupID + String(repeating: "x", count: APIKeyFormat.secretLength - 6) + format6(seed)
            return APIKeyVerifierTests.withFixedChecksum(body + "000000")
        }

        private func format6(_ value: Int) -> String {
            let digits = String(value, radix: 10)
            return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        }

        /// The whole decision, awaiting bcrypt when the gate asks for it.
        func verdict(_ request: AccessRequest) async -> AccessVerdict {
            switch gate.decide(request) {
            case .decided(let verdict): verdict
            case .needsKeyCheck(let pending): await gate.completeKeyCheck(pending)
            }
        }

        /// The synchronous step's verdict; `nil` when it asked for bcrypt.
        func decidedAtOnce(_ request: AccessRequest) -> AccessVerdict? {
            if case .decided(let verdict) = gate.decide(request) { return verdict }
            return nil
        }
    }

    private func admitted(_ fixture: Fixture) -> AccessVerdict.Outcome {
        .admitted(Principal(userID: fixture.user, credential: .apiKey(fixture.keyID)))
    }

    @Test("a cached key is decided at once; an uncached one asks for bcrypt once, then is cached")
    func cacheThenBcrypt() async throws {
        let fixture = try await Fixture()
        let request = fixture.request(key: fixture.key.plaintext)
        #expect(fixture.decidedAtOnce(request) == nil)
        #expect(await fixture.verdict(request).outcome == admitted(fixture))
        #expect(fixture.decidedAtOnce(request)?.outcome == admitted(fixture))
        #expect(fixture.hasher.verificationCount == 1)
    }

    @Test("1. a blocked client's key, even a valid cached one, is refused before anything else")
    func blockComesFirst() async throws {
        var settings = RateLimitSettings()
        settings.failedAuthLimit = 2
        let fixture = try await Fixture(settings: settings, cached: true)
        for _ in 0..<2 { _ = fixture.decidedAtOnce(fixture.request(key: "lb_k_bad")) }
        let verdict = fixture.decidedAtOnce(fixture.request(key: fixture.key.plaintext))
        #expect(verdict?.outcome == .refused(.keyAuthBlocked(retryAfterSeconds: 300)))
        #expect(fixture.decidedAtOnce(fixture.request(key: fixture.key.plaintext, client: "192.0.2.2"))?.outcome == admitted(fixture))
    }

    @Test("2. a malformed key fails without a lookup or bcrypt, and counts as a failure")
    func shapeBeforeLookup() async throws {
        let fixture = try await Fixture()
        var broken = Array(fixture.key.plaintext.utf8)
        broken[20] = broken[20] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        for key in ["", "lb_k_", String(decoding: broken, as: UTF8.self), fixture.key.plaintext.uppercased()] {
            let verdict = fixture.decidedAtOnce(fixture.request(key: key))
            #expect(verdict?.outcome == .refused(.unauthenticated(keyPresented: true, clearCookie: false)), "\(key.count)")
        }
        #expect(fixture.hasher.verificationCount == 0)
        #expect(fixture.gate.limits.failedAuth.counters.failuresRecorded == 4)
    }

    @Test("5. the general limit counts after the credentials: per user when valid, per client when refused")
    func limiterAfterCredentials() async throws {
        var settings = RateLimitSettings()
        settings.generalLimit = 1
        let fixture = try await Fixture(settings: settings, cached: true)
        let first = fixture.decidedAtOnce(fixture.request(key: fixture.key.plaintext))
        #expect(first?.outcome == admitted(fixture))
        #expect(first?.rateLimit == .allowed(remaining: 0, resetSeconds: 60))
        // The same user from another address: the user's quota is spent.
        let second = fixture.decidedAtOnce(fixture.request(key: fixture.key.plaintext, client: "192.0.2.9"))
        #expect(second?.outcome == .refused(.rateLimited(retryAfterSeconds: 60)))
        // A refused key counts against its client, and the limiter's refusal wins over the 401.
        #expect(
            fixture.decidedAtOnce(fixture.request(key: "lb_k_bad", client: "192.0.2.7"))?.outcome
                == .refused(.unauthenticated(keyPresented: true, clearCookie: false))
        )
        #expect(
            fixture.decidedAtOnce(fixture.request(key: "lb_k_bad", client: "192.0.2.7"))?.outcome == .refused(.rateLimited(retryAfterSeconds: 60))
        )
    }

    @Test("6. a cookie-authenticated change must come from the server's own pages; a key-authenticated one need not")
    func crossSiteLast() async throws {
        let fixture = try await Fixture(cached: true)
        let started = try await SessionIssuer(operations: Operations(store: fixture.store, minter: APIKeyHasher(cost: 4))).signIn(
            NewUser(email: "ada@example.com")
        )
        func session(_ method: String, site: String?, origin: String?) -> AccessRequest {
            var request = fixture.request(key: nil, method: method)
            request.sessionCookie = Substring(started.secret.value)
            request.fetchSite = site.map { Substring($0) }
            request.origin = origin.map { Substring($0) }
            return request
        }
        let principal = Principal(userID: started.user.id, credential: .session(started.session.id))
        #expect(fixture.decidedAtOnce(session("GET", site: "cross-site", origin: nil))?.outcome == .admitted(principal))
        for method in ["POST", "PATCH", "PUT", "DELETE", "post", "PROPFIND"] {
            #expect(fixture.decidedAtOnce(session(method, site: nil, origin: nil))?.outcome == .refused(.crossSite), "\(method)")
            #expect(fixture.decidedAtOnce(session(method, site: "cross-site", origin: nil))?.outcome == .refused(.crossSite))
            #expect(fixture.decidedAtOnce(session(method, site: nil, origin: "https://evil.example"))?.outcome == .refused(.crossSite))
            #expect(fixture.decidedAtOnce(session(method, site: "Same-Origin", origin: nil))?.outcome == .admitted(principal))
            #expect(fixture.decidedAtOnce(session(method, site: nil, origin: "HTTPS://bureau.example"))?.outcome == .admitted(principal))
        }
        #expect(fixture.decidedAtOnce(fixture.request(key: fixture.key.plaintext, method: "POST"))?.outcome == admitted(fixture))
    }

    @Test("a public route admits no credentials or a stale cookie, never a bad key; other routes refuse all three")
    func publicRoute() async throws {
        let fixture = try await Fixture()
        var stale = fixture.request(key: nil, route: "/api/auth/dev-login", method: "POST")
        stale.sessionCookie = "stale"
        #expect(fixture.decidedAtOnce(fixture.request(key: nil, route: "/api/auth/dev-login", method: "POST"))?.outcome == .admitted(nil))
        #expect(fixture.decidedAtOnce(stale)?.outcome == .admitted(nil))
        #expect(
            fixture.decidedAtOnce(fixture.request(key: "lb_k_bad", route: "/api/auth/dev-login"))?.outcome
                == .refused(.unauthenticated(keyPresented: true, clearCookie: false))
        )
        stale.route = "/api/desktops"
        #expect(fixture.decidedAtOnce(stale)?.outcome == .refused(.unauthenticated(keyPresented: false, clearCookie: true)))
        #expect(
            fixture.decidedAtOnce(fixture.request(key: nil, route: nil))?.outcome
                == .refused(.unauthenticated(keyPresented: false, clearCookie: false))
        )
        // A public route that is switched off is not routed: its exact path still passes (to a 404); no other does.
        var off = fixture.request(key: nil, route: nil, method: "POST")
        off.path = "/api/auth/dev-login"
        #expect(fixture.decidedAtOnce(off)?.outcome == .admitted(nil))
        off.path = "//api/auth/dev-login"
        #expect(fixture.decidedAtOnce(off)?.outcome == .refused(.unauthenticated(keyPresented: false, clearCookie: false)))
        #expect(fixture.gate.acceptsKeyInQuery(route: "/api/mission-control/activity/stream"))
        #expect(!fixture.gate.acceptsKeyInQuery(route: "/api/desktops"))
        #expect(!fixture.gate.acceptsKeyInQuery(route: nil))
    }

    @Test("waves of 40 concurrent wrong secrets with a known lookup id run at most `limit` bcrypt checks in the window")
    func concurrentWrongSecrets() async throws {
        var settings = RateLimitSettings()
        settings.generalLimit = 100_000
        let fixture = try await Fixture(settings: settings)
        let limit = fixture.gate.limits.settings.failedAuthLimit
        let before = fixture.hasher.verificationCount
        var blocked = false
        for wave in 0..<20 where !blocked {
            let outcomes = await withTaskGroup(of: AccessVerdict.Outcome.self) { group in
                for seed in 0..<40 {
                    group.addTask { await fixture.verdict(fixture.request(key: fixture.wrongSecret(wave * 40 + seed))).outcome }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for outcome in outcomes {
                switch outcome {
                case .refused(.unauthenticated(keyPresented: true, clearCookie: false)), .refused(.keyAuthBlocked), .refused(.keyChecksBusy): break
                default: Issue.record("unexpected \(String(describing: outcome))")
                }
            }
            // The clock does not move: every check of every wave falls in one window.
            #expect(fixture.hasher.verificationCount - before <= limit, "wave \(wave)")
            blocked = outcomes.allSatisfy { $0 == .refused(.keyAuthBlocked(retryAfterSeconds: 300)) }
        }
        #expect(blocked)
        #expect(fixture.hasher.verificationCount - before == limit)
        // Every slot was given back.
        #expect(fixture.gate.limits.failedAuth.clientsCheckingKeys == 0)
        #expect(fixture.gate.keyChecksInFlight == 0)
        #expect(fixture.decidedAtOnce(fixture.request(key: fixture.key.plaintext))?.outcome == .refused(.keyAuthBlocked(retryAfterSeconds: 300)))
    }

    @Test("with every bcrypt thread held, a cached key is still decided at once, and checks past the caps are refused fast")
    func cachedKeyNeverWaits() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        var settings = RateLimitSettings()
        settings.maxConcurrentKeyChecks = 3
        settings.maxConcurrentKeyChecksPerClient = 1
        // The fixture's key is not cached (its wrong secrets need bcrypt); a second key of the user is.
        let fixture = try await Fixture(settings: settings, pool: pool)
        let cachedKey = APIKeyFormat.generate()
        let cachedKeyID = APIKeyID.random()
        let hash = try await fixture.hasher.hash(cachedKey)
        try await fixture.store.commit { _, _, now -> (Mutation?, Void) in
            let record = APIKeyRecord(
                id: cachedKeyID,
                userID: fixture.user,
                name: "cached",
                lookupID: cachedKey.lookupID,
                secretHash: hash,
                lastFour: cachedKey.lastFour,
                createdAt: now
            )
            return (.apiKeyCreated(record), ())
        }
        fixture.gate.verifier.rememberVerified(cachedKey, id: cachedKeyID)
        let hold = DispatchSemaphore(value: 0)
        let held = Task { try await pool.runIfActive { hold.wait() } }
        // Whatever happens below, the pool's thread is let go and the pool shut down.
        defer {
            hold.signal()
            pool.shutdownGracefully { _ in }
        }
        // Wrong secrets from several clients fill the server-wide cap; their checks wait for the held thread.
        let waiting = (0..<3).map { index in
            Task { await fixture.verdict(fixture.request(key: fixture.wrongSecret(index), client: "192.0.2.\(10 + index)")) }
        }
        var spins = 0
        while fixture.gate.keyChecksInFlight < 3, spins < 1_000_000 {
            await Task.yield()
            spins += 1
        }
        try #require(fixture.gate.keyChecksInFlight == 3)
        // Past the server-wide cap: refused at once.
        let busy = await fixture.verdict(fixture.request(key: fixture.wrongSecret(99), client: "192.0.2.50"))
        #expect(busy.outcome == .refused(.keyChecksBusy(retryAfterSeconds: 1)))
        // A client's second check while its first is under way: refused at once.
        let second = await fixture.verdict(fixture.request(key: fixture.wrongSecret(98), client: "192.0.2.10"))
        #expect(second.outcome == .refused(.keyAuthBlocked(retryAfterSeconds: 1)) || second.outcome == .refused(.keyChecksBusy(retryAfterSeconds: 1)))
        // The cached key answers without waiting.
        let principal = Principal(userID: fixture.user, credential: .apiKey(cachedKeyID))
        #expect(fixture.decidedAtOnce(fixture.request(key: cachedKey.plaintext, client: "192.0.2.10"))?.outcome == .admitted(principal))
        hold.signal()
        try await held.value
        for task in waiting {
            #expect(await task.value.outcome == .refused(.unauthenticated(keyPresented: true, clearCookie: false)))
        }
        #expect(fixture.gate.keyChecksInFlight == 0)
        #expect(fixture.hasher.verificationCount == 3)
    }

    @Test("6b. a failed-key table full of blocked clients fails closed: a newcomer gets no bcrypt and is refused as blocked")
    func fullTableFailsClosed() async throws {
        var settings = RateLimitSettings()
        settings.failedAuthLimit = 1
        settings.maxTrackedClients = 4
        let fixture = try await Fixture(settings: settings)
        // Tracked clients spread over shards: fill every shard with blocked clients.
        var address = 1
        while fixture.gate.limits.failedAuth.activeBlockCount < 4, address < 1_000 {
            _ = fixture.decidedAtOnce(fixture.request(key: "lb_k_bad", client: "198.51.100.\(address % 250 + 1)"))
            _ = fixture.decidedAtOnce(fixture.request(key: "lb_k_bad", client: "203.0.113.\(address % 250 + 1)"))
            address += 1
        }
        let full = fixture.gate.limits.failedAuth.trackedClientCount
        #expect(full == fixture.gate.limits.failedAuth.activeBlockCount)
        // Newcomers whose shard is full of blocks: no bcrypt, refused as blocked, never a plain 401.
        let before = fixture.hasher.verificationCount
        var refusedAsBlocked = 0
        for index in 0..<40 {
            let client = "2001:db8:\(index)::1"
            let outcome = await fixture.verdict(fixture.request(key: fixture.wrongSecret(index), client: client)).outcome
            if case .refused(.keyAuthBlocked) = outcome { refusedAsBlocked += 1 }
            let cheap = fixture.decidedAtOnce(fixture.request(key: "lb_k_bad", client: client))?.outcome
            if let cheap, case .refused(.keyAuthBlocked) = cheap {
            } else {
                Issue.record("cheap failure of untracked \(client): \(String(describing: cheap))")
            }
        }
        #expect(refusedAsBlocked == 40)
        #expect(fixture.hasher.verificationCount == before)
        #expect(fixture.gate.limits.failedAuth.activeBlockCount == full)
    }
}
