import BureauAuth
import BureauStore
import Crypto
import Testing

@Suite("Session secrets")
struct SessionSecretTests {
    @Test("256 random bits as 43 base64url characters; each one new; the digest is SHA-256 of the text")
    func shape() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let secret = SessionSecret.generate()
            #expect(secret.value.utf8.count == 43)
            #expect(secret.value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            seen.insert(secret.value)
            #expect(SessionSecret.parse(secret.value)?.digest == secret.digest)
        }
        #expect(seen.count == 1000)
        let secret = SessionSecret.generate()
        #expect(secret.digest.bytes == Array(SHA256.hash(data: Array(secret.value.utf8))))
        #expect(!"\(secret)".contains(secret.value))
        #expect(SessionDigest(hex: secret.digest.description) == secret.digest)
    }

    @Test("every bit position varies: no byte of the secret is constant")
    func usesAllBits() {
        var union = [UInt8](repeating: 0, count: 43)
        var intersection = [UInt8](repeating: 0xFF, count: 43)
        for _ in 0..<200 {
            let bytes = Array(SessionSecret.generate().value.utf8)
            for index in 0..<43 {
                union[index] |= bytes[index]
                intersection[index] &= bytes[index]
            }
        }
        // The last character carries 4 bits only (256 = 42 * 6 + 4); every other one varies fully.
        #expect(zip(union, intersection).dropLast().allSatisfy { $0 != $1 })
    }

    @Test("junk is refused before hashing: wrong length or characters")
    func parseRefusesJunk() {
        for text in [
            "", "short", String(repeating: "A", count: 42), String(repeating: "A", count: 44), String(repeating: "=", count: 43),
            String(repeating: "A", count: 42) + "+",
        ] {
            #expect(SessionSecret.parse(text) == nil, "\(text)")
        }
        #expect(SessionSecret.parse(String(repeating: "A", count: 43)) != nil)
    }
}
