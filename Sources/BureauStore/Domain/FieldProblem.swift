/// One invalid field of an operation's input, and what is wrong with it. The HTTP layer lists these in a
/// 400; the command line prints them.
public struct FieldProblem: Sendable, Hashable, CustomStringConvertible {
    /// The field's name as the API spells it (`name`, `desktopId`, `Idempotency-Key`, ...).
    public var field: String
    /// What is wrong, phrased to follow the field's name ("must not be empty").
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field) \(message)" }
}

/// Collects the problems of one operation's input, so that a refusal names every offending field at once.
public struct InputCheck: Sendable {
    /// The problems found so far, in the order they were found.
    public private(set) var problems: [FieldProblem] = []

    public init() {}

    /// Records a problem.
    public mutating func fail(_ field: String, _ message: String) {
        problems.append(FieldProblem(field: field, message: message))
    }

    /// `value` when it satisfies `rule`; otherwise records the rule's problem and returns `nil`. An absent
    /// value is a problem only when `required`.
    public mutating func check<Value, Checked>(
        _ value: Value?,
        field: String,
        required: Bool,
        _ rule: (Value) -> Result<Checked, RuleViolation>
    ) -> Checked? {
        guard let value else {
            if required { fail(field, "is required") }
            return nil
        }
        switch rule(value) {
        case .success(let checked): return checked
        case .failure(let violation):
            fail(field, violation.message)
            return nil
        }
    }

    /// Throws ``StoreError/invalidInput(_:)`` listing every problem, if any.
    public func throwIfInvalid() throws(StoreError) {
        if !problems.isEmpty { throw StoreError.invalidInput(problems) }
    }
}

/// Why a value breaks a rule (the field is named by whoever applies the rule).
public struct RuleViolation: Error, Sendable, Hashable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
