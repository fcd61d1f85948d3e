/// What a key may do: `full`, everything its owner's session may (the seeds' behaviour, the default), or
/// `read`, only reads: every state change made with it is refused (403 `insufficient_scope`).
public enum APIKeyScope: String, Sendable, Hashable, Codable, CaseIterable {
    case full
    case read

    /// Whether a key of this scope may change state.
    public var allowsChanges: Bool { self == .full }
}
