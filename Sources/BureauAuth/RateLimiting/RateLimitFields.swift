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

    /// The fields of a policy of `quota` requests per `windowSeconds`.
    public init(policyName: String, quota: Int, windowSeconds: Int) {
        self.policyName = policyName
        self.policy = Self.serialize(
            policyName,
            parameters: [("q", Int64(quota)), ("w", Int64(windowSeconds))]
        )
    }

    /// The `RateLimit` value: `remaining` requests allowed now, a slot freeing in `resetSeconds`.
    public func rateLimit(remaining: Int, resetSeconds: Int) -> String {
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
