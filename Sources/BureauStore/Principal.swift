/// The credential a request proved itself with.
public enum Credential: Sendable, Hashable {
    /// An API key, by its id.
    case apiKey(APIKeyID)
    /// A browser session, by its id (logout closes the streams it opened).
    case session(SessionID)
}

/// Who an operation acts for, and the credential that proved it. Every operation a user starts checks,
/// inside the commit that would change anything, that this credential is still active.
public struct Principal: Sendable, Hashable {
    public var userID: UserID
    public var credential: Credential

    public init(userID: UserID, credential: Credential) {
        self.userID = userID
        self.credential = credential
    }
}
