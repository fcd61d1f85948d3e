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
