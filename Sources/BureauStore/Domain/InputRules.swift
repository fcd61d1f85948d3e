/// The rules every input of the domain obeys, written once: the API, the command line and seeds all apply
/// them through the operations (``Operations``), and the HTTP layer asks them only to list every problem
/// of a request in one answer.
public enum InputRules {
    /// Display names (users, keys, desktops): characters after trimming.
    public static let displayNameLength = 1...100
    /// Task content: characters, taken as given (a prompt may start or end with spaces).
    public static let taskContentLength = 1...100_000
    /// Task results: characters, taken as given.
    public static let taskResultLength = 0...100_000
    /// `Idempotency-Key`: bytes of visible ASCII.
    public static let idempotencyKeyLength = 1...255

    /// A display name: trimmed of surrounding whitespace, 1 to 100 characters, and no control or
    /// direction-changing characters (they could rewrite an operator's terminal or disguise a name).
    public static func displayName(_ raw: String) -> Result<String, RuleViolation> {
        let name = raw.trimmingWhitespace()
        if let violation = length(of: name, in: displayNameLength) { return .failure(violation) }
        if name.unicodeScalars.contains(where: isForbiddenInName) {
            return .failure(RuleViolation("must not contain control characters"))
        }
        return .success(name)
    }

    /// An email address, normalised (trimmed and lowercased) and plausible (``User/isPlausible(email:)``).
    public static func email(_ raw: String) -> Result<String, RuleViolation> {
        let email = User.normalise(email: raw)
        guard !email.isEmpty else { return .failure(RuleViolation("must not be empty")) }
        guard User.isPlausible(email: email) else { return .failure(RuleViolation("must be an email address")) }
        return .success(email)
    }

    /// Task content: 1 to 100,000 characters, as given.
    public static func taskContent(_ raw: String) -> Result<String, RuleViolation> {
        length(of: raw, in: taskContentLength).map { .failure($0) } ?? .success(raw)
    }

    /// A task result: at most 100,000 characters, as given.
    public static func taskResult(_ raw: String) -> Result<String, RuleViolation> {
        length(of: raw, in: taskResultLength).map { .failure($0) } ?? .success(raw)
    }

    /// An `Idempotency-Key`: 1 to 255 visible ASCII characters.
    public static func idempotencyKey(_ raw: String) -> Result<String, RuleViolation> {
        guard idempotencyKeyLength.contains(raw.utf8.count), raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(RuleViolation("must be 1 to 255 visible ASCII characters"))
        }
        return .success(raw)
    }

    /// Milliseconds in a day (key lifetimes are counted in days of 24 hours).
    public static let millisecondsPerDay: Int64 = 86_400_000
    /// Days a key may be given to live (`--expires-in`, `auth.max_key_lifetime_days`): up to 100 years.
    public static let keyLifetimeDays = 1...36_500

    /// The grace period of a roll, in seconds: up to 7 days.
    public static let rollGraceSeconds = 0...604_800

    /// A roll's grace period: 0 to 604,800 seconds.
    public static func rollGraceSeconds(_ seconds: Int) -> Result<Int, RuleViolation> {
        rollGraceSeconds.contains(seconds) ? .success(seconds) : .failure(RuleViolation("must be a number of seconds from 0 to 604800"))
    }

    /// How many candidate strings one leak report may hold.
    public static let leakReportCandidates = 1...20
    /// The longest candidate string of a leak report, in bytes (a key is 53).
    public static let leakReportCandidateBytes = 200

    /// The candidates of a leak report: 1 to 20 strings of at most 200 bytes each, duplicates dropped.
    public static func leakReportCandidates(_ raw: [String]) -> Result<[String], RuleViolation> {
        guard leakReportCandidates.contains(raw.count) else { return .failure(RuleViolation("must hold 1 to 20 strings")) }
        guard raw.allSatisfy({ $0.utf8.count <= leakReportCandidateBytes }) else {
            return .failure(RuleViolation("must hold strings of at most 200 bytes"))
        }
        var seen = Set<String>()
        return .success(raw.filter { seen.insert($0).inserted })
    }

    /// A time in RFC 3339 (`2026-11-22T10:00:00Z`, with or without fractional seconds, `Z` or an offset).
    public static func time(_ raw: String) -> Result<Timestamp, RuleViolation> {
        guard let time = Timestamp(anyRFC3339: raw) else {
            return .failure(RuleViolation("must be an RFC 3339 time such as 2026-11-22T10:00:00Z"))
        }
        return .success(time)
    }

    /// A key's lifetime in days: 1 to 36,500.
    public static func keyLifetimeDays(_ days: Int) -> Result<Int, RuleViolation> {
        keyLifetimeDays.contains(days) ? .success(days) : .failure(RuleViolation("must be a number of days from 1 to 36500"))
    }

    /// A key's expiry, judged at `now` (the time the key is created): strictly in the future and, when
    /// `maxLifetimeDays` is set (`auth.max_key_lifetime_days`), at most that many days ahead.
    public static func keyExpiry(_ time: Timestamp, now: Timestamp, maxLifetimeDays: Int?) -> Result<Timestamp, RuleViolation> {
        guard time > now else { return .failure(RuleViolation("must be in the future")) }
        if let maxLifetimeDays, time.millisecondsSinceEpoch - now.millisecondsSinceEpoch > Int64(maxLifetimeDays) * millisecondsPerDay {
            return .failure(RuleViolation("must be at most \(maxLifetimeDays) days ahead (auth.max_key_lifetime_days)"))
        }
        return .success(time)
    }

    /// A value of an enumeration, by its raw value.
    public static func oneOf<Value: RawRepresentable & CaseIterable>(_ raw: String) -> Result<Value, RuleViolation>
    where Value.RawValue == String {
        if let value = Value(rawValue: raw) { return .success(value) }
        return .failure(RuleViolation("must be one of: " + Value.allCases.map(\.rawValue).joined(separator: ", ")))
    }

    private static func length(of value: String, in range: ClosedRange<Int>) -> RuleViolation? {
        let count = value.count
        if count < range.lowerBound {
            return RuleViolation(range.lowerBound == 1 ? "must not be empty" : "must be at least \(range.lowerBound) characters")
        }
        if count > range.upperBound { return RuleViolation("must be at most \(range.upperBound) characters") }
        return nil
    }

    /// C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional embedding, override
    /// and isolate characters.
    static func isForbiddenInName(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines (Unicode's definition).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
