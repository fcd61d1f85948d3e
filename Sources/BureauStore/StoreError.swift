/// Why the store or an operation (``Operations``) refused a request: the domain's typed error. Carries no
/// HTTP: the server maps each case to a status and a code, the command line to a message.
public enum StoreError: Error, Equatable, Sendable {
    /// The thing does not exist (or was deleted or revoked).
    case notFound(String)
    /// The thing exists but belongs to another user.
    case forbidden(String)
    /// The change conflicts with the current state (invalid transition, a limit reached).
    case conflict(code: String, detail: String)
    /// The store cannot accept writes now (the journal refused the record); reads go on.
    case unavailable(String)
    /// The input breaks the domain's rules (``InputRules``): every offending field, nothing written.
    case invalidInput([FieldProblem])
    /// The credential the request acts with was revoked, ended or expired (possibly while the request was
    /// in flight): nothing was changed.
    case credentialEnded(Credential)
    /// The credential is a `read` key and the operation would change state: nothing was changed.
    case insufficientScope
    /// The request does not make sense for the current state (caught before anything was written).
    case invalid(InconsistentMutation)
}
