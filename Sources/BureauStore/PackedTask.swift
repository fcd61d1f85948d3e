/// The fixed-size fields of a ``PackedTask``, stored in its header.
struct PackedTaskFields: Hashable {
    var id: TaskID
    var ownerID: UserID
    var desktopID: DesktopID
    var createdAt: Timestamp
    var updatedAt: Timestamp
    var ordinal: UInt64
    var type: TaskType
    var status: TaskStatus
    /// Whether a result string follows the content.
    var hasResult: Bool
}

/// One task in a single immutable allocation: the fixed-size fields in the header, then the UTF-8 bytes of
/// the content and, when there is one, of the result, each after its length (``PackedStrings``). A map
/// slot or an activity event then holds one pointer instead of the whole record, a copy costs a retain,
/// and a content longer than 15 bytes needs no heap string of its own. Never changed after
/// ``make(_:content:result:)`` returns, so it is safe to share between threads.
final class PackedTask: ManagedBuffer<PackedTaskFields, UInt8> {
    /// A block holding `fields` (its `hasResult` set from `result`), the content and the result.
    static func make(_ fields: PackedTaskFields, content: String, result: String?) -> PackedTask {
        var fields = fields
        fields.hasResult = result != nil
        var strings = (content, result ?? "")
        let byteCount = PackedStrings.packedSize(content) + (result.map(PackedStrings.packedSize) ?? 0)
        let block = unsafeDowncast(create(minimumCapacity: byteCount) { _ in fields }, to: PackedTask.self)
        block.withUnsafeMutablePointerToElements { base in
            var offset = 0
            PackedStrings.append(&strings.0, to: base, at: &offset)
            if fields.hasResult { PackedStrings.append(&strings.1, to: base, at: &offset) }
        }
        return block
    }

    /// The fixed-size fields.
    var fields: PackedTaskFields { header }

    /// The content.
    var content: String {
        withContentBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The result, `nil` when the task has none.
    var result: String? {
        withResultBytes { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Calls `body` with the content's UTF-8 bytes where the block keeps them.
    func withContentBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeMutablePointerToElements { base in try body(PackedStrings.string(at: base, offset: 0).bytes) }
    }

    /// Calls `body` with the result's UTF-8 bytes where the block keeps them, `nil` when the task has none.
    func withResultBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>?) throws -> Result) rethrows -> Result {
        guard header.hasResult else { return try body(nil) }
        return try withUnsafeMutablePointerToElements { base in
            let content = PackedStrings.string(at: base, offset: 0)
            return try body(PackedStrings.string(at: base, offset: content.end).bytes)
        }
    }

    /// Whether the strings of both blocks hold the same bytes (the fixed fields are not compared).
    func hasSameStrings(as other: PackedTask) -> Bool {
        withUnsafeMutablePointerToElements { lhs in
            other.withUnsafeMutablePointerToElements { rhs in
                let (a, b) = (PackedStrings.string(at: lhs, offset: 0), PackedStrings.string(at: rhs, offset: 0))
                guard a.bytes.elementsEqual(b.bytes) else { return false }
                guard header.hasResult, other.header.hasResult else { return header.hasResult == other.header.hasResult }
                return PackedStrings.string(at: lhs, offset: a.end).bytes.elementsEqual(PackedStrings.string(at: rhs, offset: b.end).bytes)
            }
        }
    }
}
