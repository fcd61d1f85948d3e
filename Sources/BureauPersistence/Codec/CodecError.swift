/// Why bytes could not be decoded. Decoders throw it for any input they cannot read, never trap.
public enum CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value needed more bytes than were left.
    case truncated(offset: Int, needed: Int, available: Int)
    /// A value was malformed (an out-of-range tag, invalid UTF-8, an overlong varint, ...).
    case invalid(offset: Int, reason: String)
    /// A log record of a type this version does not know (written by a newer version).
    case unknownMutationType(UInt8)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed, let available):
            "truncated at byte \(offset): \(needed) bytes needed, \(available) left"
        case .invalid(let offset, let reason):
            "invalid data at byte \(offset): \(reason)"
        case .unknownMutationType(let type):
            "unknown record type \(type) (written by a newer version?)"
        }
    }
}
