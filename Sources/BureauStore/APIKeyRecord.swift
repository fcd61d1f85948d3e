/// What the store keeps of an API key: never the plaintext, only its public lookup id and a bcrypt hash.
///
/// A value like any struct, held compactly: all its fields live in one immutable block (``PackedAPIKey``),
/// so a copy costs one retain and a slot of the store's maps holds one pointer. Setting a field builds a
/// new block; copies taken before keep seeing the old values.
public struct APIKeyRecord: Hashable, Sendable, Codable {
    /// Immutable once made (see ``PackedAPIKey``), hence safe to share although `ManagedBuffer` is not `Sendable`.
    private nonisolated(unsafe) var packed: PackedAPIKey

    public init(
        id: APIKeyID,
        userID: UserID,
        name: String,
        lookupID: String,
        secretHash: String,
        lastFour: String,
        createdAt: Timestamp,
        lastUsedAt: Timestamp? = nil,
        revokedAt: Timestamp? = nil,
        expiresAt: Timestamp? = nil,
        scope: APIKeyScope = .full,
        isRolled: Bool = false
    ) {
        packed = PackedAPIKey.make(
            PackedAPIKeyFields(
                id: id,
                userID: userID,
                createdAt: createdAt,
                lastUsedAt: lastUsedAt,
                revokedAt: revokedAt,
                expiresAt: expiresAt,
                scope: scope
            ).rolled(isRolled),
            name: name,
            lookupID: lookupID,
            secretHash: secretHash,
            lastFour: lastFour
        )
    }

    public var id: APIKeyID {
        get { packed.fields.id }
        set { packed = packed.replacingFields { $0.id = newValue } }
    }

    public var userID: UserID {
        get { packed.fields.userID }
        set { packed = packed.replacingFields { $0.userID = newValue } }
    }

    public var name: String {
        get { packed.string(.name) }
        set { replaceStrings(name: newValue) }
    }

    /// The public part of the key that finds this record without scanning hashes.
    public var lookupID: String {
        get { packed.string(.lookupID) }
        set { replaceStrings(lookupID: newValue) }
    }

    /// bcrypt hash of the whole plaintext key.
    public var secretHash: String {
        get { packed.string(.secretHash) }
        set { replaceStrings(secretHash: newValue) }
    }

    /// The key's last four characters, for the masked preview.
    public var lastFour: String {
        get { packed.string(.lastFour) }
        set { replaceStrings(lastFour: newValue) }
    }

    public var createdAt: Timestamp {
        get { packed.fields.createdAt }
        set { packed = packed.replacingFields { $0.createdAt = newValue } }
    }

    public var lastUsedAt: Timestamp? {
        get { packed.fields.lastUsedAt }
        set { packed = packed.replacingFields { $0.lastUsedAt = newValue } }
    }

    public var revokedAt: Timestamp? {
        get { packed.fields.revokedAt }
        set { packed = packed.replacingFields { $0.revokedAt = newValue } }
    }

    /// When the key stops working, if it ever does: from this instant on it is refused like a revoked key.
    public var expiresAt: Timestamp? {
        get { packed.fields.expiresAt }
        set { packed = packed.replacingFields { $0.expiresAt = newValue } }
    }

    /// What the key may do: `read` keys change nothing.
    public var scope: APIKeyScope {
        get { packed.fields.scope }
        set { packed = packed.replacingFields { $0.scope = newValue } }
    }

    /// Whether the key was rolled (``Operations/rollAPIKey(_:_:by:)``): a successor replaced it and it
    /// expires at the end of the grace period; it cannot be rolled again.
    public var isRolled: Bool {
        get { packed.fields.isRolled }
        set { packed = packed.replacingFields { $0.isRolled = newValue } }
    }

    /// `true` until the key is revoked (an expired key stays active in this sense: see ``isUsable(at:)``).
    public var isActive: Bool { packed.fields.isActive }

    /// Whether `now` has reached the key's `expiresAt`.
    public func hasExpired(at now: Timestamp) -> Bool { packed.fields.hasExpired(at: now) }

    /// Not revoked and not expired at `now`: the key authenticates, shows in listings and counts toward the cap.
    public func isUsable(at now: Timestamp) -> Bool { isActive && !hasExpired(at: now) }

    /// Calls `body` with the UTF-8 bytes of ``lookupID``, read in place (the key table compares them
    /// without building a `String`).
    func withLookupIDBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        packed.withUTF8(.lookupID, body)
    }

    /// The masked form shown in listings, e.g. `lb_k_...9f3a`.
    public var preview: String { "lb_k_..." + lastFour }

    /// Rebuilds the block with the given strings changed and everything else kept.
    private mutating func replaceStrings(name: String? = nil, lookupID: String? = nil, secretHash: String? = nil, lastFour: String? = nil) {
        packed = PackedAPIKey.make(
            packed.fields,
            name: name ?? self.name,
            lookupID: lookupID ?? self.lookupID,
            secretHash: secretHash ?? self.secretHash,
            lastFour: lastFour ?? self.lastFour
        )
    }

    /// Field by field, strings compared as strings (as a struct of these fields would compare).
    public static func == (lhs: APIKeyRecord, rhs: APIKeyRecord) -> Bool {
        if lhs.packed === rhs.packed { return true }
        guard lhs.packed.fields == rhs.packed.fields else { return false }
        return PackedAPIKey.StringField.allCases.allSatisfy { lhs.packed.string($0) == rhs.packed.string($0) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(packed.fields)
        for field in PackedAPIKey.StringField.allCases { hasher.combine(packed.string(field)) }
    }

    /// The same keys as the struct of plain fields this type replaced, so exports keep their shape.
    private enum CodingKeys: String, CodingKey {
        case id, userID, name, lookupID, secretHash, lastFour, createdAt, lastUsedAt, revokedAt, expiresAt, scope, rolled
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(APIKeyID.self, forKey: .id),
            userID: try container.decode(UserID.self, forKey: .userID),
            name: try container.decode(String.self, forKey: .name),
            lookupID: try container.decode(String.self, forKey: .lookupID),
            secretHash: try container.decode(String.self, forKey: .secretHash),
            lastFour: try container.decode(String.self, forKey: .lastFour),
            createdAt: try container.decode(Timestamp.self, forKey: .createdAt),
            lastUsedAt: try container.decodeIfPresent(Timestamp.self, forKey: .lastUsedAt),
            revokedAt: try container.decodeIfPresent(Timestamp.self, forKey: .revokedAt),
            expiresAt: try container.decodeIfPresent(Timestamp.self, forKey: .expiresAt),
            scope: try container.decodeIfPresent(APIKeyScope.self, forKey: .scope) ?? .full,
            isRolled: try container.decodeIfPresent(Bool.self, forKey: .rolled) ?? false
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(userID, forKey: .userID)
        try container.encode(name, forKey: .name)
        try container.encode(lookupID, forKey: .lookupID)
        try container.encode(secretHash, forKey: .secretHash)
        try container.encode(lastFour, forKey: .lastFour)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(lastUsedAt, forKey: .lastUsedAt)
        try container.encodeIfPresent(revokedAt, forKey: .revokedAt)
        try container.encodeIfPresent(expiresAt, forKey: .expiresAt)
        // Absent for a full key, so the records of before scopes keep their shape.
        if scope != .full { try container.encode(scope, forKey: .scope) }
        if isRolled { try container.encode(true, forKey: .rolled) }
    }
}
