/// What the store keeps of a new key, and the plaintext to show once.
public struct MintedAPIKey: Sendable {
    /// The whole key: returned to its owner once, never stored.
    public var plaintext: String
    /// The public part that finds the key's record.
    public var lookupID: String
    /// The key's last four characters, for the masked preview.
    public var lastFour: String
    /// The bcrypt hash of the plaintext.
    public var secretHash: String

    public init(plaintext: String, lookupID: String, lastFour: String, secretHash: String) {
        self.plaintext = plaintext
        self.lookupID = lookupID
        self.lastFour = lastFour
        self.secretHash = secretHash
    }
}

/// Makes key material: the key format and its hashing live with authentication, the records in the domain.
public protocol APIKeyMinter: Sendable {
    /// A new random key, hashed.
    func mint() async throws -> MintedAPIKey
    /// A given key (a seed's), hashed; `nil` when it is not a valid key (shape, characters or checksum).
    func material(of plaintext: String) async throws -> MintedAPIKey?
}
