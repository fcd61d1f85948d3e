import Foundation

/// A person who owns API keys, desktops and tasks.
public struct User: Hashable, Sendable, Codable {
    public var id: UserID
    /// Normalised (trimmed, lowercased) email address; unique.
    public var email: String
    public var name: String
    public var createdAt: Timestamp

    public init(id: UserID, email: String, name: String, createdAt: Timestamp) {
        self.id = id
        self.email = email
        self.name = name
        self.createdAt = createdAt
    }

    /// The form an email is stored and compared in.
    public static func normalise(email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// Whether a (normalised) email is a plausible address: one `@` with something on each side, no
    /// spaces or control characters, a dot inside the domain, at most 254 characters.
    public static func isPlausible(email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return email.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !email.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }
}
