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
}
