extension Operations {
    /// Creates a user (the operator's `users add`, seeds): the email normalised and plausible, unique
    /// (409 `user_exists`), the name a display name (default: the part of the email before `@`).
    public func createUser(_ input: NewUser) async throws -> User {
        let (email, name) = try input.validated()
        return try await store.commit { state, _, now -> (Mutation?, User) in
            guard state.user(email: email) == nil else {
                throw StoreError.conflict(code: "user_exists", detail: "A user with email \(email) already exists.")
            }
            let user = User(id: .random(), email: email, name: name ?? Self.defaultName(for: email), createdAt: now)
            return (.userCreated(user), user)
        }
    }

    /// The user with this email (compared normalised), if any: how the operator names a user.
    public func user(email: String) -> User? {
        store.read { $0.user(email: email) }
    }

    /// The requester's own user (`GET /api/auth/me`) and, when it acts with an API key, that key's scope.
    public func me(by requester: Requester) throws -> (user: User, scope: APIKeyScope?) {
        try read(by: requester) { state in
            guard let user = state.users[requester.userID] else { throw StoreError.notFound("User") }
            guard case .user(let principal) = requester, case .apiKey(let id) = principal.credential else { return (user, nil) }
            return (user, state.apiKeys[id]?.scope)
        }
    }

    /// Signs a person in by an email already proven theirs (the development login, an OAuth provider's
    /// verified address): finds the user (case-insensitively) or creates it, then starts a session whose
    /// secret has `digest` (the secret itself never reaches the domain). Two commits: the user if new,
    /// then the session.
    public func signIn(_ input: NewUser, sessionDigest digest: SessionDigest) async throws -> (user: User, session: SessionRecord) {
        let (email, name) = try input.validated()
        let user = try await store.commit { state, _, now -> (Mutation?, User) in
            if let existing = state.user(email: email) { return (nil, existing) }
            let user = User(id: .random(), email: email, name: name ?? Self.defaultName(for: email), createdAt: now)
            return (.userCreated(user), user)
        }
        let session = try await store.commit { state, _, now -> (Mutation?, SessionRecord) in
            guard state.users[user.id] != nil else { throw StoreError.notFound("User") }
            guard state.session(digest: digest) == nil else {
                throw StoreError.conflict(code: "conflict", detail: "Session secret collision; sign in again.")
            }
            let session = SessionRecord(id: .random(), userID: user.id, digest: digest, createdAt: now, lastSeenAt: now)
            return (.sessionCreated(session), session)
        }
        return (user, session)
    }

    /// Ends a session at once (logout, or a new login replacing it). An unknown, already ended or pruned
    /// session is not an error: the outcome is the same.
    public func signOut(_ id: SessionID) async throws {
        try await store.commit { state, _, now -> (Mutation?, Void) in
            guard state.sessions[id] != nil else { return (nil, ()) }
            return (.sessionEnded(SessionEnding(id: id, at: now)), ())
        }
    }

    /// The part of `email` before `@`, without anything a display name may not hold, at most 100
    /// characters; `user` if nothing is left.
    static func defaultName(for email: String) -> String {
        let local = email.prefix { $0 != "@" }
        let kept = String(String.UnicodeScalarView(local.unicodeScalars.filter { !InputRules.isForbiddenInName($0) }))
        let name = String(kept.prefix(InputRules.displayNameLength.upperBound))
        return (try? InputRules.displayName(name).get()) ?? "user"
    }
}
