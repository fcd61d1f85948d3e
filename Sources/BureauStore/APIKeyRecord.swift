/// What the store keeps of an API key: never the plaintext, only its public lookup id and a bcrypt hash.
public struct APIKeyRecord: Hashable, Sendable, Codable {
    public var id: APIKeyID
    public var userID: UserID
    public var name: String
    /// The public part of the key that finds this record without scanning hashes.
    public var lookupID: String
    /// bcrypt hash of the whole plaintext key.
    public var secretHash: String
    /// The key's last four characters, for the masked preview.
    public var lastFour: String
    public var createdAt: Timestamp
    public var lastUsedAt: Timestamp?
    public var revokedAt: Timestamp?

    public init(
        id: APIKeyID,
        userID: UserID,
        name: String,
        lookupID: String,
        secretHash: String,
        lastFour: String,
        createdAt: Timestamp,
        lastUsedAt: Timestamp? = nil,
        revokedAt: Timestamp? = nil
    ) {
        self.id = id
        self.userID = userID
        self.name = name
        self.lookupID = lookupID
        self.secretHash = secretHash
        self.lastFour = lastFour
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// `true` until the key is revoked.
    public var isActive: Bool { revokedAt == nil }

    /// The masked form shown in listings, e.g. `lb_k_...9f3a`.
    public var preview: String { "lb_k_..." + lastFour }
}
