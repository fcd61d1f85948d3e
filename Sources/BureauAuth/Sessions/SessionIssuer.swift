import BureauStore

/// A session just started: the user it is for, its record, and the secret to put in the cookie (the one
/// and only time the secret exists outside a request).
public struct StartedSession: Sendable {
    public var user: User
    public var session: SessionRecord
    public var secret: SessionSecret
}

/// Starts and ends browser sessions. Every way of signing in (the development login, the callback of a
/// sign-in provider) ends in ``signIn(_:)`` once it knows a verified email.
public struct SessionIssuer: Sendable {
    private let operations: Operations

    /// An issuer signing in through `operations`.
    public init(operations: Operations) {
        self.operations = operations
    }

    /// Finds the user with the email of `person` (compared normalised, so case-insensitively) or creates
    /// it, then starts a new session for it with a new secret. The email must be one the caller has
    /// proven belongs to the person; the domain checks its form and the name (``Operations/signIn(_:sessionDigest:)``).
    public func signIn(_ person: NewUser) async throws -> StartedSession {
        let secret = SessionSecret.generate()
        let (user, session) = try await operations.signIn(person, sessionDigest: secret.digest)
        return StartedSession(user: user, session: session, secret: secret)
    }

    /// Ends a session at once (logout). Unknown (already ended or pruned) is not an error: the outcome is
    /// the same.
    public func end(_ id: SessionID) async throws {
        try await operations.signOut(id)
    }
}
