/// A provider's client secret (`auth.oauth.NAME.client_secret`, from the environment or a file): sent
/// only in the token request, never shown. Its description, debug description and mirror hide it, so
/// printing a configuration or an error that holds one cannot leak it.
public struct ClientSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself, for the token request only.
    public let value: String

    /// A secret with this value.
    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "ClientSecret(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
