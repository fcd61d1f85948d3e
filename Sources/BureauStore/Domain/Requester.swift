/// On whose behalf an operation runs.
public enum Requester: Sendable, Hashable {
    /// A user who proved who they are with an API key or a session: the operation re-checks, inside the
    /// commit that would change anything, that the credential is still active.
    case user(Principal)
    /// The operator (the command line, a seed), acting for the given user: there is no credential to check.
    case `operator`(UserID)

    /// The user the operation acts for.
    public var userID: UserID {
        switch self {
        case .user(let principal): principal.userID
        case .operator(let userID): userID
        }
    }
}
