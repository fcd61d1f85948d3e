import Foundation

/// An identifier that is a random UUID, rendered as a lowercase string in the API and in exports.
public protocol UUIDIdentifier: Hashable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The underlying UUID.
    var uuid: UUID { get }
    /// Wraps an existing UUID.
    init(uuid: UUID)
}

extension UUIDIdentifier {
    /// A new random identifier: a version 4 UUID from the system's secure generator. (Foundation's `UUID()`
    /// opens, reads and closes `/dev/urandom` for each one: three system calls on every task creation.)
    public static func random() -> Self {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next(), generator.next())
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = raw[6] & 0x0F | 0x40  // version 4
            raw[8] = raw[8] & 0x3F | 0x80  // the RFC 4122 variant
            return Self(uuid: UUID(uuid: raw.load(as: uuid_t.self)))
        }
    }

    /// Parses the canonical textual form, `8-4-4-4-12` hexadecimal digits in either case; `nil` for anything
    /// else (no braces, spaces, signs or other lengths).
    public init?(_ description: String) {
        var description = description
        let parsed: uuid_t? = description.withUTF8 { text in
            guard text.count == 36 else { return nil }
            var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let complete = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
                var position = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        guard text[position] == UInt8(ascii: "-") else { return false }
                        position += 1
                    }
                    guard let high = HexDigit.value(text[position]), let low = HexDigit.value(text[position + 1]) else { return false }
                    out[index] = high << 4 | low
                    position += 2
                }
                return true
            }
            return complete ? bytes : nil
        }
        guard let parsed else { return nil }
        self.init(uuid: UUID(uuid: parsed))
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
