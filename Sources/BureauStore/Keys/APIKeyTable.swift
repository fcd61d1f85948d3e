/// Every API key record the store holds, revoked ones included, found by id and by public lookup id.
///
/// Packed for memory: the records sit in one array (a slot is one pointer, the record's block), and two
/// open-addressing tables of 4-byte positions into it find a record by its id and by its lookup id, each
/// comparing the candidate against the record itself. Compared with a dictionary of records by id, one of
/// active ids by lookup id and a set of revoked lookup ids (16 + 8, 16 + 16 and 16 bytes a slot, each at
/// a load between 3/8 and 3/4), a key costs 8 bytes of array and 2 × 4 bytes of table slots.
///
/// Records are never removed (revoked keys are kept with their `revokedAt`). The lookup table holds every
/// record, so one probe sequence tells an active key with a lookup id from a revoked one.
public struct APIKeyTable: Sendable, Equatable {
    /// The records in insertion order.
    private var records: [APIKeyRecord] = []
    /// Positions in `records` plus one, by the hash of the record's id (0: empty slot).
    private var idSlots: [UInt32] = []
    /// Positions in `records` plus one, by the hash of the record's lookup id (0: empty slot).
    private var lookupSlots: [UInt32] = []

    /// An empty table.
    public init() {}

    /// The number of records.
    public var count: Int { records.count }

    /// Whether the table holds no record.
    public var isEmpty: Bool { records.isEmpty }

    /// Every record, in the order they were added.
    public var values: [APIKeyRecord] { records }

    /// The record with this id; setting one adds it or replaces the record with its id (setting `nil` is
    /// not supported: records are never removed).
    public internal(set) subscript(id: APIKeyID) -> APIKeyRecord? {
        get { position(of: id).map { records[$0] } }
        set {
            guard let newValue else { preconditionFailure("API key records are never removed") }
            precondition(newValue.id == id, "a record is stored under its own id")
            updateValue(newValue, forKey: id)
        }
    }

    /// Adds `record`, or replaces the record with its id; returns the record replaced.
    @discardableResult
    mutating func updateValue(_ record: APIKeyRecord, forKey id: APIKeyID) -> APIKeyRecord? {
        precondition(record.id == id, "a record is stored under its own id")
        if let position = position(of: id) {
            let old = records[position]
            records[position] = record
            // A changed lookup id (never on the live path) gets a slot of its own; the old slot no longer
            // matches its record, so lookups pass over it.
            if !Self.sameLookupID(old, record) { Self.insert(position, hash: Self.lookupHash(record), into: &lookupSlots) }
            return old
        }
        precondition(records.count < Int(UInt32.max) - 1, "too many API keys")
        if (records.count + 1) * 4 > idSlots.count * 3 { rehash(slots: Self.slotCount(for: records.count + 1)) }
        records.append(record)
        let position = records.count - 1
        Self.insert(position, hash: id.hashValue, into: &idSlots)
        Self.insert(position, hash: Self.lookupHash(record), into: &lookupSlots)
        return nil
    }

    /// Makes room for `count` records without growing the tables again.
    mutating func reserveCapacity(_ count: Int) {
        records.reserveCapacity(count)
        let slots = Self.slotCount(for: count)
        if slots > idSlots.count { rehash(slots: slots) }
    }

    /// Rebuilds both tables with `slots` slots each.
    private mutating func rehash(slots: Int) {
        idSlots = Array(repeating: 0, count: slots)
        lookupSlots = Array(repeating: 0, count: slots)
        for (position, record) in records.enumerated() {
            Self.insert(position, hash: record.id.hashValue, into: &idSlots)
            Self.insert(position, hash: Self.lookupHash(record), into: &lookupSlots)
        }
    }

    /// The active (not revoked) key with this lookup id, if any.
    public func activeKey(lookupID: String) -> APIKeyRecord? {
        firstRecord(lookupID: lookupID) { $0.isActive }
    }

    /// Whether a revoked key had this lookup id.
    public func hasRevokedKey(lookupID: String) -> Bool {
        firstRecord(lookupID: lookupID) { !$0.isActive } != nil
    }

    /// The same records, whatever their order.
    public static func == (lhs: APIKeyTable, rhs: APIKeyTable) -> Bool {
        lhs.records.count == rhs.records.count && lhs.records.allSatisfy { rhs[$0.id] == $0 }
    }

    private func position(of id: APIKeyID) -> Int? {
        guard !idSlots.isEmpty else { return nil }
        let mask = idSlots.count - 1
        var slot = id.hashValue & mask
        while true {
            let entry = idSlots[slot]
            if entry == 0 { return nil }
            if records[Int(entry) - 1].id == id { return Int(entry) - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// The first record with `lookupID` that satisfies `matches`, in probe order.
    private func firstRecord(lookupID: String, where matches: (APIKeyRecord) -> Bool) -> APIKeyRecord? {
        guard !lookupSlots.isEmpty else { return nil }
        var lookupID = lookupID
        return lookupID.withUTF8 { query -> APIKeyRecord? in
            let mask = lookupSlots.count - 1
            var slot = Self.hash(query) & mask
            while true {
                let entry = lookupSlots[slot]
                if entry == 0 { return nil }
                let record = records[Int(entry) - 1]
                if matches(record), record.withLookupIDBytes({ $0.elementsEqual(query) }) { return record }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Puts `position` in the first free slot from `hash` (the table always has one: see ``slotCount(for:)``).
    private static func insert(_ position: Int, hash: Int, into slots: inout [UInt32]) {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = UInt32(position + 1)
    }

    /// A power of two at least 4/3 of `count` (at most three quarters full), and at least 8.
    private static func slotCount(for count: Int) -> Int {
        var slots = 8
        while slots * 3 < count * 4 { slots *= 2 }
        return slots
    }

    private static func lookupHash(_ record: APIKeyRecord) -> Int {
        record.withLookupIDBytes { hash($0) }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        return hasher.finalize()
    }

    private static func sameLookupID(_ lhs: APIKeyRecord, _ rhs: APIKeyRecord) -> Bool {
        lhs.withLookupIDBytes { left in rhs.withLookupIDBytes { left.elementsEqual($0) } }
    }
}
