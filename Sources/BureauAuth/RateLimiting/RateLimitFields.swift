import RawStructuredFieldValues

/// The IETF rate-limit response fields of one policy, as structured-field text (RFC 9651):
/// `RateLimit-Policy: "general";q=120;w=60` and `RateLimit: "general";r=7;t=42`.
///
/// The policy name is a String item (quoted), as the API documents it; the generic `Codable` encoder would
/// write a name that happens to be a valid token as a bare token, hence the lower-level serializer.
public struct RateLimitFields: Sendable {
    /// The policy's name, the item both fields carry.
    public let policyName: String
    /// The `RateLimit-Policy` value, fixed for the process.
    public let policy: String
    /// The serialised name item with no parameters (`"general"`): each `RateLimit` value is this plus its
    /// two integer parameters, whose RFC 9651 form (`;r=7;t=42`) needs no escaping, so the hot path appends
    /// them directly instead of running the serializer per request (`serialized(remaining:resetSeconds:)`
    /// is the reference the tests compare against).
    private let namePrefix: String

    /// The fields of a policy of `quota` requests per `windowSeconds`.
    public init(policyName: String, quota: Int, windowSeconds: Int) {
        self.policyName = policyName
        self.policy = Self.serialize(
            policyName,
            parameters: [("q", Int64(quota)), ("w", Int64(windowSeconds))]
        )
        self.namePrefix = Self.serialize(policyName, parameters: [])
    }

    /// The `RateLimit` value: `remaining` requests allowed now, a slot freeing in `resetSeconds`.
    public func rateLimit(remaining: Int, resetSeconds: Int) -> String {
        // Written into one allocation: the concatenation chain it replaces allocated once per piece.
        var prefix = namePrefix
        return prefix.withUTF8 { name in
            String(unsafeUninitializedCapacity: name.count + 2 * (3 + 20)) { out in
                var position = out.initialize(fromContentsOf: name)
                position = Self.write(";r=", max(remaining, 0), into: out, at: position)
                return Self.write(";t=", max(resetSeconds, 0), into: out, at: position)
            }
        }
    }

    /// Writes `label` then the decimal digits of `value` (non-negative) at `position`; returns the new end.
    private static func write(_ label: StaticString, _ value: Int, into out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        var position = position
        for byte in UnsafeBufferPointer(start: label.utf8Start, count: label.utf8CodeUnitCount) {
            out[position] = byte
            position += 1
        }
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var remaining = value
        for index in stride(from: position + digits - 1, through: position, by: -1) {
            out[index] = UInt8(truncatingIfNeeded: 48 + remaining % 10)
            remaining /= 10
        }
        return position + digits
    }

    /// The same value as ``rateLimit(remaining:resetSeconds:)``, through the structured-field serializer.
    public func serialized(remaining: Int, resetSeconds: Int) -> String {
        Self.serialize(policyName, parameters: [("r", Int64(max(remaining, 0))), ("t", Int64(max(resetSeconds, 0)))])
    }

    /// The `RateLimit` value for a decision; `nil` when no limit applies.
    public func rateLimit(for decision: RateLimitDecision) -> String? {
        switch decision {
        case .unlimited:
            nil
        case .allowed(let remaining, let resetSeconds):
            rateLimit(remaining: remaining, resetSeconds: resetSeconds)
        case .denied(let retryAfterSeconds):
            rateLimit(remaining: 0, resetSeconds: retryAfterSeconds)
        }
    }

    /// A one-member list: the name as a String item with integer parameters, in the order given.
    private static func serialize(_ name: String, parameters: [(String, Int64)]) -> String {
        var map = OrderedMap<String, RFC9651BareItem>()
        for (key, value) in parameters { map[key] = .integer(value) }
        var serializer = StructuredFieldValueSerializer()
        do {
            let bytes = try serializer.writeListFieldValue([.item(Item(bareItem: .string(name), parameters: map))])
            return String(decoding: bytes, as: UTF8.self)
        } catch {
            // Only a name with control or non-ASCII characters, or an integer beyond 15 digits, fails:
            // both are programming errors, the name being a constant and the numbers bounded by configuration.
            preconditionFailure("unserializable rate-limit field for policy \(name): \(error)")
        }
    }
}
