import BureauStore

/// The shape of a Bureau API key: `lb_k_` · 12-character lookup id · 30-character secret · 6-character checksum,
/// all in base62 (`[0-9A-Za-z]`), 53 bytes in all.
///
/// - The lookup id (≈71 random bits) is public: it finds the key's record without scanning hashes.
/// - The secret (≈178 bits from the system CSPRNG) is what the bcrypt hash protects.
/// - The checksum (CRC-32 of everything before it) rejects a mistyped key before any lookup or hash.
public enum APIKeyFormat {
    public static let prefix = "lb_k_"
    public static let lookupIDLength = 12
    public static let secretLength = 30
    public static let checksumLength = 6
    /// Total length of a key in bytes.
    public static let length = prefix.utf8.count + lookupIDLength + secretLength + checksumLength

    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new key, from the system's cryptographically secure generator.
    public static func generate() -> ParsedAPIKey {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    /// A new key from `generator` (tests pass a seeded one; production uses the system CSPRNG).
    public static func generate(using generator: inout some RandomNumberGenerator) -> ParsedAPIKey {
        var bytes = Array(prefix.utf8)
        bytes.reserveCapacity(length)
        for _ in 0..<(lookupIDLength + secretLength) {
            bytes.append(randomCharacter(using: &generator))
        }
        bytes.append(contentsOf: encodeChecksum(CRC32.ieee.checksum(bytes)))
        let plaintext = String(decoding: bytes, as: UTF8.self)
        return ParsedAPIKey(plaintext: plaintext, lookupID: String(decoding: bytes[5..<(5 + lookupIDLength)], as: UTF8.self))
    }

    /// Parses a presented key. `nil` when its length, prefix, characters or checksum are wrong:
    /// such a key is refused without touching the store.
    public static func parse(_ presented: some StringProtocol) -> ParsedAPIKey? {
        // Wrong lengths (a huge header included) are refused before anything is copied.
        guard presented.utf8.count == length else { return nil }
        // The one copy: it becomes the parsed key's plaintext.
        var plaintext = String(presented)
        guard let lookupID = plaintext.withUTF8({ isWellFormed($0) ? lookupID(ofWellFormed: $0) : nil }) else { return nil }
        return ParsedAPIKey(plaintext: plaintext, lookupID: lookupID)
    }

    /// Whether `bytes` have a key's length, prefix and characters, whatever their checksum (to tell a
    /// mistyped key from something that is no key at all, for metrics; not for authentication).
    public static func hasKeyShape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == length, bytes.starts(with: prefix.utf8) else { return false }
        return bytes[prefix.utf8.count...].allSatisfy { digitValues[Int($0)] != invalidDigit }
    }

    /// Whether `bytes` are a well-formed key (length, prefix, characters, checksum), checked in place.
    public static func isWellFormed(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == length else { return false }
        let prefixBytes = prefix.utf8
        guard zip(bytes.prefix(prefixBytes.count), prefixBytes).allSatisfy({ $0 == $1 }) else { return false }
        // One table lookup per character: its base62 value, or `invalidDigit`. The checksum's six digits are
        // read as a number (no division: 62⁶ > 2³², so equal numbers mean equal digits).
        var checksumDigits: UInt64 = 0
        let checksumStart = length - checksumLength
        for index in prefixBytes.count..<length {
            let digit = digitValues[Int(bytes[index])]
            guard digit != invalidDigit else { return false }
            if index >= checksumStart { checksumDigits = checksumDigits &* 62 &+ UInt64(digit) }
        }
        let checksum = CRC32.ieee.checksum(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[0..<checksumStart])))
        return checksumDigits == UInt64(checksum)
    }

    /// The lookup id inside the bytes of a key that ``isWellFormed(_:)``: twelve ASCII bytes, a small
    /// string stored inline, without an allocation.
    public static func lookupID(ofWellFormed bytes: UnsafeBufferPointer<UInt8>) -> String {
        precondition(bytes.count == length, "not a well-formed key")
        let start = prefix.utf8.count
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + lookupIDLength)]), as: UTF8.self)
    }

    /// The base62 value of each byte, or ``invalidDigit`` for a byte outside the alphabet.
    private static let digitValues: [UInt8] = {
        var values = [UInt8](repeating: invalidDigit, count: 256)
        for (value, character) in alphabet.enumerated() { values[Int(character)] = UInt8(value) }
        return values
    }()
    private static let invalidDigit: UInt8 = 0xFF

    /// One base62 character, uniformly: bytes ≥ 248 are rejected so that `% 62` has no bias.
    private static func randomCharacter(using generator: inout some RandomNumberGenerator) -> UInt8 {
        while true {
            let byte = UInt8.random(in: 0...255, using: &generator)
            if byte < 248 { return alphabet[Int(byte % 62)] }
        }
    }

    /// Six base62 digits, most significant first (62⁶ > 2³², so every CRC fits).
    private static func encodeChecksum(_ value: UInt32) -> [UInt8] {
        var value = UInt64(value)
        var digits = [UInt8](repeating: alphabet[0], count: checksumLength)
        for index in stride(from: checksumLength - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return digits
    }
}

/// A key whose shape and checksum are right. Says nothing about whether it exists.
public struct ParsedAPIKey: Sendable, Hashable {
    /// The whole key. Never log it, never store it.
    public let plaintext: String
    /// The public lookup id inside it.
    public let lookupID: String

    /// The last four characters, kept for the masked preview.
    public var lastFour: String { String(plaintext.suffix(4)) }
}

extension ParsedAPIKey: CustomStringConvertible, CustomDebugStringConvertible {
    /// Redacted: string interpolation of a key never prints its secret.
    public var description: String { "lb_k_\(lookupID)…(redacted)" }
    public var debugDescription: String { description }
}
