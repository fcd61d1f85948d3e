import Crypto

/// The random values of a sign-in (`state`, the browser binding, the PKCE verifier, the `nonce`): 256
/// bits each from the system's CSPRNG, written as 43 base64url characters.
enum RandomToken {
    /// A new token.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) } }
        return Base64URL.encode(bytes)
    }

    /// SHA-256 of the token's text: what memory keeps instead of a token that is only compared.
    static func digest(_ token: some StringProtocol) -> SHA256Digest {
        SHA256.hash(data: Array(token.utf8))
    }

    /// The PKCE S256 challenge of `verifier` (RFC 7636): base64url(SHA-256(verifier)), unpadded.
    static func challenge(for verifier: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }
}

/// Unpadded base64url (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group: UInt32 = 0
            for offset in 0..<3 { group = group << 8 | UInt32(offset < count ? bytes[index + offset] : 0) }
            for position in 0...count { output.append(alphabet[Int((group >> UInt32(18 - 6 * position)) & 0x3F)]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
