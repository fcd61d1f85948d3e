import BureauAuth
import BureauStore
import Foundation
import Testing

@Suite("API key format")
struct APIKeyFormatTests {
    @Test("generated keys have the documented shape and parse back")
    func generated() throws {
        for _ in 0..<200 {
            let key = APIKeyFormat.generate()
            #expect(key.plaintext.hasPrefix("lb_k_"))
            #expect(key.plaintext.utf8.count == APIKeyFormat.length)
            #expect(key.plaintext.utf8.count <= 72)
            #expect(
                key.plaintext.utf8.allSatisfy {
                    $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122)
                }
            )
            #expect(APIKeyFormat.parse(key.plaintext) == key)
            #expect(key.lookupID.utf8.count == APIKeyFormat.lookupIDLength)
        }
    }

    @Test("keys are not repeated")
    func unique() {
        let keys = Set((0..<2000).map { _ in APIKeyFormat.generate().plaintext })
        #expect(keys.count == 2000)
    }

    @Test("the secret carries at least 128 bits")
    func entropy() {
        // 30 base62 characters, each uniform over 62 values.
        #expect(Double(APIKeyFormat.secretLength) * log2(62.0) >= 128)
    }

    @Test("any single changed character is caught by the checksum or the shape")
    func singleCharacterTypos() throws {
        let key = APIKeyFormat.generate().plaintext
        let bytes = Array(key.utf8)
        var caught = 0
        var total = 0
        for index in bytes.indices {
            for replacement in Array("0aZ_-!".utf8) where replacement != bytes[index] {
                var typo = bytes
                typo[index] = replacement
                total += 1
                if APIKeyFormat.parse(String(decoding: typo, as: UTF8.self)) == nil { caught += 1 }
            }
        }
        #expect(caught == total)
    }

    @Test("the checksum is exactly the CRC-32 of the rest in six base62 digits, most significant first")
    func checksumDigits() {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let body = Array("lb_k_".utf8) + (0..<42).map { _ in alphabet[Int.random(in: 0..<62, using: &generator)] }
            var value = UInt64(CRC32.ieee.checksum(body))
            var digits = [UInt8](repeating: 0, count: 6)
            for index in (0..<6).reversed() {
                digits[index] = alphabet[Int(value % 62)]
                value /= 62
            }
            #expect(APIKeyFormat.parse(String(decoding: body + digits, as: UTF8.self)) != nil)
            for position in 0..<6 {
                let other = alphabet[(alphabet.firstIndex(of: digits[position])! + Int.random(in: 1..<62, using: &generator)) % 62]
                var wrong = digits
                wrong[position] = other
                #expect(APIKeyFormat.parse(String(decoding: body + wrong, as: UTF8.self)) == nil)
            }
        }
        // Six digits can spell numbers no CRC-32 reaches.
        let body = "lb_k_" + String(repeating: "a", count: 42)
        #expect(APIKeyFormat.parse(body + "zzzzzz") == nil)
    }

    @Test(
        "wrong shapes are refused",
        arguments: [
            "", "lb_k_", "lb_k_abc", "LB_K_" + String(repeating: "a", count: 48), String(repeating: "a", count: 53),
            "lb_k_" + String(repeating: "é", count: 24), "lb_k_" + String(repeating: "a", count: 200),
        ]
    )
    func wrongShapes(candidate: String) {
        #expect(APIKeyFormat.parse(candidate) == nil)
    }

    @Test("a key with one extra or one missing character is refused")
    func lengthTypos() {
        let key = APIKeyFormat.generate().plaintext
        #expect(APIKeyFormat.parse(key + "a") == nil)
        #expect(APIKeyFormat.parse(String(key.dropLast())) == nil)
    }

    @Test("interpolating a key never prints its secret")
    func redaction() {
        let key = APIKeyFormat.generate()
        #expect(!"\(key)".contains(key.plaintext))
        #expect(!String(reflecting: key).contains(key.plaintext))
    }
}
