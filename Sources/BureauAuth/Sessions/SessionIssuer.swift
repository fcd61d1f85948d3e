import BureauStore

/// A session just started: the user it is for, its record, and the secret to put in the cookie (the one
/// and only time the secret exists outside a request).
public struct StartedSession: Sendable {
    public var user: User
    public var session: SessionRecord
    public var secret: SessionSecret
}

/// Starts and ends browser sessions. Every way of signing in (the development login now, OAuth
/// providers later) ends in ``signIn(email:name:)`` once it knows a verified email.
public struct SessionIssuer: Sendable {
    private let store: BureauStore

    /// An issuer writing to `store`.
    public init(store: BureauStore) {
        self.store = store
    }

    /// Finds the user with `email` (compared normalised, so case-insensitively) or creates it, then
    /// starts a new session for it with a new secret. `email` must already be a plausible address
    /// (``User/isPlausible(email:)``); `name` is used only for a new user (default: the part of the email
    /// before `@`). Two mutations: the user (if new), then the session.
    public func signIn(email: String, name: String?) async throws -> StartedSession {
        let email = User.normalise(email: email)
        let user = try await store.commit { state, _, now -> (Mutation?, User) in
            if let existing = state.user(email: email) { return (nil, existing) }
            let fallback = String(email.prefix { $0 != "@" })
            let user = User(id: .random(), email: email, name: name ?? fallback, createdAt: now)
            return (.userCreated(user), user)
        }
        let secret = SessionSecret.generate()
        let digest = secret.digest
        let session = try await store.commit { _, _, now -> (Mutation?, SessionRecord) in
            let session = SessionRecord(id: .random(), userID: user.id, digest: digest, createdAt: now, lastSeenAt: now)
            return (.sessionCreated(session), session)
        }
        return StartedSession(user: user, session: session, secret: secret)
    }

    /// Ends a session at once (logout). Unknown (already ended or pruned) is not an error: the outcome is
    /// the same.
    public func end(_ id: SessionID) async throws {
        try await store.commit { state, _, now -> (Mutation?, Void) in
            guard state.sessions[id] != nil else { return (nil, ()) }
            return (.sessionEnded(SessionEnding(id: id, at: now)), ())
        }
    }
}
