/// The name of a sign-in provider as configured (`github`, `google`, or the `NAME` of `auth.oidc.NAME`):
/// it appears in paths (`/api/auth/oauth/{name}`), so it is restricted to `[a-z0-9-]`, 1 to 32 characters.
public struct ProviderName: Sendable, Hashable, CustomStringConvertible {
    /// The name itself.
    public let value: String

    /// `value` if it is a valid provider name, else nil.
    public init?(_ value: some StringProtocol) {
        guard Self.isValid(value) else { return nil }
        self.value = String(value)
    }

    /// Whether `value` is 1 to 32 characters of `a`-`z`, `0`-`9` and `-`.
    public static func isValid(_ value: some StringProtocol) -> Bool {
        let bytes = value.utf8
        guard (1...32).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    public var description: String { value }
}
