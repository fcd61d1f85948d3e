/// Why the store refused a request. Carries no HTTP: the server maps each case to a status and a code.
public enum StoreError: Error, Equatable, Sendable {
    /// The thing does not exist (or was deleted or revoked).
    case notFound(String)
    /// The thing exists but belongs to another user.
    case forbidden(String)
    /// The change conflicts with the current state (invalid transition, a limit reached).
    case conflict(code: String, detail: String)
    /// The store cannot accept writes now (the journal refused the record); reads go on.
    case unavailable(String)
    /// The request does not make sense for the current state (caught before anything was written).
    case invalid(InconsistentMutation)
}
