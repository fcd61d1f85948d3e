import HTTPTypes
import Testing

@testable import BureauServer

@Suite("Where a request presents its API key")
struct PresentedKeyTests {
    private static func fields(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    @Test("x-api-key wins over a bearer token, whatever the field order; spaces are trimmed")
    func precedence() {
        let both = Self.fields([("Authorization", "Bearer lb_k_second"), ("X-API-Key", " lb_k_first ")])
        #expect(APIKeyAuthentication.presentedKey(in: both) == "lb_k_first")
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("authorization", "bEaReR  lb_k_x ")])) == "lb_k_x")
    }

    @Test("only spaces and tabs are trimmed, on byte boundaries that stay character boundaries")
    func trimming() {
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("x-api-key", "\t lb_k_é \t")])) == "lb_k_é")
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("x-api-key", " \t ")])) == "")
        // Other white space is part of the value (and makes it a bad key), as is a combining mark after a space.
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("x-api-key", "\u{A0}lb_k_x\u{A0}")])) == "\u{A0}lb_k_x\u{A0}")
        let combining = APIKeyAuthentication.presentedKey(in: Self.fields([("x-api-key", "lb_k_x \u{301}")]))
        #expect(combining.map { Array($0.utf8) } == Array("lb_k_x \u{301}".utf8))
    }

    @Test("no key, another scheme, and an empty header")
    func absentOrOther() {
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("accept", "*/*")])) == nil)
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("authorization", "Basic dXNlcjpwdw==")])) == nil)
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("authorization", "Bear")])) == nil)
        #expect(APIKeyAuthentication.presentedKey(in: Self.fields([("x-api-key", "")])) == "")
    }

    @Test("several x-api-key fields present their joined value, which no key can match")
    func repeated() {
        let repeated = Self.fields([("x-api-key", "lb_k_a"), ("x-api-key", "lb_k_b")])
        #expect(APIKeyAuthentication.presentedKey(in: repeated) == "lb_k_a, lb_k_b")
    }
}
