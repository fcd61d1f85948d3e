/// The fixed-size fields of a ``PackedAPIKey``, stored in its header: 66 bytes, the timestamps as plain
/// milliseconds and one byte saying which optional ones are set.
struct PackedAPIKeyFields: Hashable {
    var id: APIKeyID
    var userID: UserID
    private var createdAtMilliseconds: Int64
    /// 0 when absent, so equal records always have equal bytes.
    private var lastUsedAtMilliseconds: Int64
    /// 0 when absent.
    private var revokedAtMilliseconds: Int64
    /// 0 when absent (a key that never expires).
    private var expiresAtMilliseconds: Int64
    /// Which of the optional timestamps are set.
    private var presence: UInt8
    /// What the key may do.
    var scope: APIKeyScope

    private static let lastUsedBit: UInt8 = 1
    private static let revokedBit: UInt8 = 2
    private static let expiresBit: UInt8 = 4
    private static let rolledBit: UInt8 = 8

    init(
        id: APIKeyID,
        userID: UserID,
        createdAt: Timestamp,
        lastUsedAt: Timestamp?,
        revokedAt: Timestamp?,
        expiresAt: Timestamp?,
        scope: APIKeyScope
    ) {
        self.id = id
        self.userID = userID
        self.scope = scope
        (createdAtMilliseconds, lastUsedAtMilliseconds, revokedAtMilliseconds, expiresAtMilliseconds, presence) = (0, 0, 0, 0, 0)
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }

    var createdAt: Timestamp {
        get { Timestamp(millisecondsSinceEpoch: createdAtMilliseconds) }
        set { createdAtMilliseconds = newValue.millisecondsSinceEpoch }
    }

    var lastUsedAt: Timestamp? {
        get { presence & Self.lastUsedBit == 0 ? nil : Timestamp(millisecondsSinceEpoch: lastUsedAtMilliseconds) }
        set { Self.store(newValue, in: &lastUsedAtMilliseconds, bit: Self.lastUsedBit, of: &presence) }
    }

    var revokedAt: Timestamp? {
        get { presence & Self.revokedBit == 0 ? nil : Timestamp(millisecondsSinceEpoch: revokedAtMilliseconds) }
        set { Self.store(newValue, in: &revokedAtMilliseconds, bit: Self.revokedBit, of: &presence) }
    }

    var expiresAt: Timestamp? {
        get { presence & Self.expiresBit == 0 ? nil : Timestamp(millisecondsSinceEpoch: expiresAtMilliseconds) }
        set { Self.store(newValue, in: &expiresAtMilliseconds, bit: Self.expiresBit, of: &presence) }
    }

    /// `true` once `now` reaches `expiresAt`; a key without one never expires. Two loads and a compare:
    /// this runs on every request that presents a key.
    func hasExpired(at now: Timestamp) -> Bool {
        presence & Self.expiresBit != 0 && now.millisecondsSinceEpoch >= expiresAtMilliseconds
    }

    /// These fields with `isRolled` set to `rolled`.
    func rolled(_ rolled: Bool) -> PackedAPIKeyFields {
        var copy = self
        copy.isRolled = rolled
        return copy
    }

    /// Whether the key was rolled: a successor replaced it, and it expires at the end of the grace period.
    var isRolled: Bool {
        get { presence & Self.rolledBit != 0 }
        set { presence = newValue ? presence | Self.rolledBit : presence & ~Self.rolledBit }
    }

    /// `true` while `revokedAt` is absent.
    var isActive: Bool { presence & Self.revokedBit == 0 }

    private static func store(_ time: Timestamp?, in milliseconds: inout Int64, bit: UInt8, of presence: inout UInt8) {
        milliseconds = time?.millisecondsSinceEpoch ?? 0
        presence = time == nil ? presence & ~bit : presence | bit
    }
}

/// One API key record in a single immutable allocation: the fixed-size fields in the header, then the UTF-8
/// bytes of the four strings (name, lookup id, secret hash, last four), each after its length as a LEB128
/// varint. Compared with a struct of `String`s held in a map, a map slot holds one pointer instead of the
/// whole record, and the 60-byte bcrypt hash (like any string longer than 15 bytes) needs no heap string of
/// its own. Never changed after ``make(_:name:lookupID:secretHash:lastFour:)`` returns, so it is safe to share between threads.
final class PackedAPIKey: ManagedBuffer<PackedAPIKeyFields, UInt8> {
    /// The strings of a record, in their packed order.
    enum StringField: Int, CaseIterable {
        case name = 0
        case lookupID
        case secretHash
        case lastFour
    }

    /// A block holding `fields` and the four strings.
    static func make(_ fields: PackedAPIKeyFields, name: String, lookupID: String, secretHash: String, lastFour: String) -> PackedAPIKey {
        var strings = (name, lookupID, secretHash, lastFour)
        let byteCount =
            PackedStrings.packedSize(name) + PackedStrings.packedSize(lookupID) + PackedStrings.packedSize(secretHash)
            + PackedStrings.packedSize(lastFour)
        let block = unsafeDowncast(create(minimumCapacity: byteCount) { _ in fields }, to: PackedAPIKey.self)
        block.withUnsafeMutablePointerToElements { base in
            var offset = 0
            PackedStrings.append(&strings.0, to: base, at: &offset)
            PackedStrings.append(&strings.1, to: base, at: &offset)
            PackedStrings.append(&strings.2, to: base, at: &offset)
            PackedStrings.append(&strings.3, to: base, at: &offset)
        }
        return block
    }

    /// A block with the same strings as this one and the fixed fields changed by `change`.
    func replacingFields(_ change: (inout PackedAPIKeyFields) -> Void) -> PackedAPIKey {
        var fields = header
        change(&fields)
        return withUnsafeMutablePointerToElements { source in
            let byteCount = Self.byteCount(of: source)
            let block = unsafeDowncast(Self.create(minimumCapacity: byteCount) { _ in fields }, to: PackedAPIKey.self)
            block.withUnsafeMutablePointerToElements { $0.initialize(from: source, count: byteCount) }
            return block
        }
    }

    /// The fixed-size fields.
    var fields: PackedAPIKeyFields { header }

    /// Calls `body` with the UTF-8 bytes of one string field.
    func withUTF8<Result>(_ field: StringField, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeMutablePointerToElements { base in
            var offset = 0
            for _ in 0..<field.rawValue {
                let (count, width) = PackedStrings.readVarint(at: base + offset)
                offset += width + count
            }
            let (count, width) = PackedStrings.readVarint(at: base + offset)
            return try body(UnsafeBufferPointer(start: base + offset + width, count: count))
        }
    }

    /// One string field as a `String`.
    func string(_ field: StringField) -> String {
        withUTF8(field) { String(decoding: $0, as: UTF8.self) }
    }

    /// Bytes used by the four strings starting at `base`.
    private static func byteCount(of base: UnsafeMutablePointer<UInt8>) -> Int {
        var offset = 0
        for _ in StringField.allCases {
            let (count, width) = PackedStrings.readVarint(at: base + offset)
            offset += width + count
        }
        return offset
    }
}
