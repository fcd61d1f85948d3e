/// The input of an operation as a request or a command gave it: each field absent (`nil`) or as sent.
/// ``problems`` applies ``InputRules`` to every field at once; the operation applies them again before it
/// changes anything, so an adapter that forgets to ask cannot slip a bad value through.
public protocol OperationInput: Sendable {
    associatedtype Checked: Sendable
    /// The checked values, or every problem found.
    func checked() -> Result<Checked, InvalidInput>
}

extension OperationInput {
    /// Every problem of this input (empty when it is valid).
    public var problems: [FieldProblem] {
        if case .failure(let invalid) = checked() { return invalid.problems }
        return []
    }

    /// The checked values, or ``StoreError/invalidInput(_:)``.
    func validated() throws(StoreError) -> Checked {
        switch checked() {
        case .success(let value): return value
        case .failure(let invalid): throw StoreError.invalidInput(invalid.problems)
        }
    }
}

/// The problems of an input that breaks the rules.
public struct InvalidInput: Error, Sendable, Hashable {
    public var problems: [FieldProblem]
}

extension InputCheck {
    /// `value` if nothing was found wrong, else the problems.
    func result<Value>(_ value: @autoclosure () -> Value?) -> Result<Value, InvalidInput> {
        guard problems.isEmpty, let value = value() else {
            return .failure(InvalidInput(problems: problems.isEmpty ? [FieldProblem(field: "body", message: "is incomplete")] : problems))
        }
        return .success(value)
    }
}

/// A new user: `email` required, `name` optional (default: the part of the email before `@`).
public struct NewUser: OperationInput {
    public var email: String?
    public var name: String?
    public init(email: String?, name: String? = nil) {
        self.email = email
        self.name = name
    }

    public func checked() -> Result<(email: String, name: String?), InvalidInput> {
        var check = InputCheck()
        let email = check.check(email, field: "email", required: true, InputRules.email)
        let name = check.check(name, field: "name", required: false, InputRules.displayName)
        return check.result(email.map { (email: $0, name: name) })
    }
}

/// A new API key: a name, and optionally when it expires, as an RFC 3339 time (`expiresAt`) or as a
/// number of days from its creation (`expiresInDays`, the command line's `--expires-in`), not both.
/// Its `scope` is `full` (the default) or `read`.
/// Whether the time lies in the future and within `auth.max_key_lifetime_days` is judged at the commit
/// (``InputRules/keyExpiry(_:now:maxLifetimeDays:)``), against the time the key is created.
public struct NewAPIKey: OperationInput {
    public var name: String?
    public var expiresAt: String?
    public var expiresInDays: Int?
    public var scope: String?
    public init(name: String?, expiresAt: String? = nil, expiresInDays: Int? = nil, scope: String? = nil) {
        self.name = name
        self.expiresAt = expiresAt
        self.expiresInDays = expiresInDays
        self.scope = scope
    }

    public func checked() -> Result<APIKeyDraft, InvalidInput> {
        var check = InputCheck()
        let name = check.check(name, field: "name", required: true, InputRules.displayName)
        var expiry: KeyExpiryRequest?
        if expiresAt != nil, expiresInDays != nil {
            check.fail("expiresAt", "give either expiresAt or a number of days, not both")
        } else if let at = check.check(expiresAt, field: "expiresAt", required: false, InputRules.time) {
            expiry = .at(at)
        } else if let days = check.check(expiresInDays, field: "expiresInDays", required: false, InputRules.keyLifetimeDays) {
            expiry = .afterDays(days)
        }
        let scope: APIKeyScope? = check.check(scope, field: "scope", required: false, InputRules.oneOf)
        return check.result(name.map { APIKeyDraft(name: $0, expiry: expiry, scope: scope ?? .full) })
    }
}

/// The roll of a key: how long the old key keeps working (`graceSeconds`, required).
public struct APIKeyRollRequest: OperationInput {
    public var graceSeconds: Int?
    public init(graceSeconds: Int?) { self.graceSeconds = graceSeconds }

    public func checked() -> Result<Int, InvalidInput> {
        var check = InputCheck()
        let grace = check.check(graceSeconds, field: "graceSeconds", required: true, InputRules.rollGraceSeconds)
        return check.result(grace)
    }
}

/// A leak report: the strings someone found (`keys`), any of which may be a key.
public struct LeakReport: OperationInput {
    public var keys: [String]?
    public init(keys: [String]?) { self.keys = keys }

    public func checked() -> Result<[String], InvalidInput> {
        var check = InputCheck()
        let keys = check.check(keys, field: "keys", required: true, InputRules.leakReportCandidates)
        return check.result(keys)
    }
}

/// A new key's checked input.
public struct APIKeyDraft: Sendable, Hashable {
    public var name: String
    public var expiry: KeyExpiryRequest?
    public var scope: APIKeyScope
}

/// When a new key is to expire, as its input said it.
public enum KeyExpiryRequest: Sendable, Hashable {
    /// At this instant.
    case at(Timestamp)
    /// This many days after the key's creation.
    case afterDays(Int)

    /// The instant, for a key created at `now`.
    public func instant(from now: Timestamp) -> Timestamp {
        switch self {
        case .at(let time): time
        case .afterDays(let days): now.adding(milliseconds: Int64(days) * InputRules.millisecondsPerDay)
        }
    }
}

/// A new desktop: a name, and a status (default `running`).
public struct NewDesktop: OperationInput {
    public var name: String?
    public var status: String?
    public init(name: String?, status: String? = nil) {
        self.name = name
        self.status = status
    }

    public func checked() -> Result<(name: String, status: DesktopStatus), InvalidInput> {
        var check = InputCheck()
        let name = check.check(name, field: "name", required: true, InputRules.displayName)
        let status: DesktopStatus? = check.check(status, field: "status", required: false, InputRules.oneOf)
        return check.result(name.map { (name: $0, status: status ?? .running) })
    }
}

/// A change to a desktop: a new name, a new status, both, or neither (an empty change, which changes nothing
/// and answers the desktop as it is, like an update without parameters in Stripe's API).
public struct DesktopEdit: OperationInput {
    public var name: String?
    public var status: String?
    public init(name: String?, status: String?) {
        self.name = name
        self.status = status
    }

    public func checked() -> Result<(name: String?, status: DesktopStatus?), InvalidInput> {
        var check = InputCheck()
        let name = check.check(name, field: "name", required: false, InputRules.displayName)
        let status: DesktopStatus? = check.check(status, field: "status", required: false, InputRules.oneOf)
        return check.result((name: name, status: status))
    }
}

/// A new task. `desktopId` is an opaque id: one that names no desktop, whatever its shape, is a 404 of the
/// operation, not a problem of the input.
public struct NewTask: OperationInput {
    public var type: String?
    public var content: String?
    public var desktopID: String?
    public init(type: String?, content: String?, desktopID: String?) {
        self.type = type
        self.content = content
        self.desktopID = desktopID
    }

    public func checked() -> Result<(type: TaskType, content: String, desktopID: String), InvalidInput> {
        var check = InputCheck()
        let type: TaskType? = check.check(type, field: "type", required: true, InputRules.oneOf)
        let content = check.check(content, field: "content", required: true, InputRules.taskContent)
        let desktopID = check.check(desktopID, field: "desktopId", required: true) { raw -> Result<String, RuleViolation> in
            raw.isEmpty ? .failure(RuleViolation("must not be empty")) : .success(raw)
        }
        guard let type, let content, let desktopID else { return check.result(nil) }
        return check.result((type: type, content: content, desktopID: desktopID))
    }
}

/// A task's move to another status, with its result when given.
public struct TaskStatusChange: OperationInput {
    public var status: String?
    public var result: String?
    public init(status: String?, result: String? = nil) {
        self.status = status
        self.result = result
    }

    public func checked() -> Result<(status: TaskStatus, result: String?), InvalidInput> {
        var check = InputCheck()
        let status: TaskStatus? = check.check(status, field: "status", required: true, InputRules.oneOf)
        let result = check.check(result, field: "result", required: false, InputRules.taskResult)
        return check.result(status.map { (status: $0, result: result) })
    }
}

/// A retry guard of a task creation: the client's `Idempotency-Key` and a digest of the request it sent.
public struct IdempotencyRequest: Sendable, Hashable {
    public var key: String
    /// A digest of the request body: a retry with another body is refused.
    public var requestDigest: String
    public init(key: String, requestDigest: String) {
        self.key = key
        self.requestDigest = requestDigest
    }
}
