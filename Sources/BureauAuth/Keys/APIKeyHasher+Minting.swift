import BureauStore

/// The domain's key material comes from here: the `lb_k_` format and bcrypt belong to authentication, the
/// records to the domain (``Operations``).
extension APIKeyHasher: APIKeyMinter {
    /// A new random key from the system CSPRNG, hashed at ``cost``.
    public func mint() async throws -> MintedAPIKey {
        try await material(of: APIKeyFormat.generate())
    }

    /// `plaintext` hashed, or `nil` when it is not a valid key (checked before any hashing).
    public func material(of plaintext: String) async throws -> MintedAPIKey? {
        guard let key = APIKeyFormat.parse(plaintext) else { return nil }
        return try await material(of: key)
    }

    private func material(of key: ParsedAPIKey) async throws -> MintedAPIKey {
        MintedAPIKey(plaintext: key.plaintext, lookupID: key.lookupID, lastFour: key.lastFour, secretHash: try await hash(key))
    }
}
