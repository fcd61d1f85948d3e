import Foundation

/// An identifier that is a random UUID, rendered as a lowercase string in the API and in exports.
public protocol UUIDIdentifier: Hashable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The underlying UUID.
    var uuid: UUID { get }
    /// Wraps an existing UUID.
    init(uuid: UUID)
}

extension UUIDIdentifier {
    /// A new random identifier.
    public static func random() -> Self { Self(uuid: UUID()) }

    /// Parses the canonical textual form (case-insensitive); `nil` for anything else.
    public init?(_ description: String) {
        guard description.utf8.count == 36, let uuid = UUID(uuidString: description) else { return nil }
        self.init(uuid: uuid)
    }

    /// Lowercase canonical form, `8-4-4-4-12` hexadecimal digits.
    public var description: String {
        String(unsafeUninitializedCapacity: Self.canonicalWidth) { out in
            writeCanonical(into: out)
            return Self.canonicalWidth
        }
    }

    /// Length in bytes of the canonical form.
    public static var canonicalWidth: Int { 36 }

    /// Writes the canonical form into the first ``canonicalWidth`` bytes of `out` (which must hold them):
    /// answers write identifiers straight into their buffers, without a `String` per identifier.
    public func writeCanonical(into out: UnsafeMutableBufferPointer<UInt8>) {
        precondition(out.count >= Self.canonicalWidth)
        let digits: StaticString = "0123456789abcdef"
        var position = 0
        withUnsafeBytes(of: uuid.uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = digits.utf8Start[Int(byte >> 4)]
                out[position + 1] = digits.utf8Start[Int(byte & 0x0F)]
                position += 2
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let value = Self(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a UUID: \(string.prefix(40))")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Identifies a user.
public struct UserID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies an API key (the public record, never the secret).
public struct APIKeyID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a desktop.
public struct DesktopID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a mission-control task.
public struct TaskID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}
