import BureauStore
import Crypto

/// The secret that proves a browser session: 256 bits from the system's CSPRNG, written as 43 base64url
/// characters. It exists only in the cookie; the store keeps its SHA-256 ``digest``. Its description
/// never shows the value.
public struct SessionSecret: Sendable, CustomStringConvertible {
    /// Characters in the text form (32 bytes in unpadded base64url).
    public static let length = 43
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The text form, for the `Set-Cookie` header only.
    public let value: String

    private init(value: String) {
        self.value = value
    }

    /// A new secret from the system's CSPRNG.
    public static func generate() -> SessionSecret {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A new secret from `generator` (tests pass a seeded one; the server always uses the system's).
    public static func generate(using generator: inout some RandomNumberGenerator) -> SessionSecret {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(33)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) } }
        bytes.append(0)
        // Each 3 bytes give 4 characters; the 33rd (zero) byte only pads the last group and is dropped.
        var text: [UInt8] = []
        text.reserveCapacity(44)
        for start in stride(from: 0, to: 33, by: 3) {
            let group = UInt32(bytes[start]) << 16 | UInt32(bytes[start + 1]) << 8 | UInt32(bytes[start + 2])
            for shift in [18, 12, 6, 0] { text.append(alphabet[Int((group >> UInt32(shift)) & 0x3F)]) }
        }
        return SessionSecret(value: String(decoding: text.prefix(length), as: UTF8.self))
    }

    /// The secret in a cookie's value, or `nil` when it cannot be one (wrong length or characters), so
    /// junk is refused before anything is hashed or looked up.
    public static func parse(_ text: some StringProtocol) -> SessionSecret? {
        guard text.utf8.count == length, text.utf8.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return SessionSecret(value: String(text))
    }

    /// SHA-256 of the text form: what the store keeps and looks sessions up by.
    public var digest: SessionDigest {
        var text = value
        let hash = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        // A SHA-256 digest always has 32 bytes.
        return SessionDigest(bytes: Array(hash))!
    }

    public var description: String { "SessionSecret(redacted)" }
}
