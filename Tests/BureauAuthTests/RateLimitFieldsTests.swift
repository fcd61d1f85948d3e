import RawStructuredFieldValues
import Testing

@testable import BureauAuth

@Suite("RateLimit and RateLimit-Policy fields")
struct RateLimitFieldsTests {
    let fields = RateLimitFields(policyName: "general", quota: 120, windowSeconds: 60)

    @Test("the documented text")
    func text() {
        #expect(fields.policy == #""general";q=120;w=60"#)
        #expect(fields.rateLimit(remaining: 7, resetSeconds: 42) == #""general";r=7;t=42"#)
        #expect(fields.rateLimit(for: .denied(retryAfterSeconds: 13)) == #""general";r=0;t=13"#)
        #expect(fields.rateLimit(for: .allowed(remaining: 119, resetSeconds: 60)) == #""general";r=119;t=60"#)
        #expect(fields.rateLimit(for: .unlimited) == nil)
    }

    @Test("a structured-field parser reads a String item with integer parameters")
    func parses() throws {
        var parser = StructuredFieldValueParser(Array(fields.rateLimit(remaining: 3, resetSeconds: 9).utf8))
        let list = try parser.parseListFieldValue()
        #expect(list.count == 1)
        guard case .item(let item) = try #require(list.first) else {
            Issue.record("not an item")
            return
        }
        guard case .string(let name) = item.rfc9651BareItem else {
            Issue.record("the policy name is not a String item")
            return
        }
        #expect(name == "general")
        let parameters = Dictionary(uniqueKeysWithValues: item.rfc9651Parameters.map { ($0.0, $0.1) })
        guard case .integer(3) = parameters["r"], case .integer(9) = parameters["t"] else {
            Issue.record("unexpected parameters")
            return
        }
    }

    @Test("the fast RateLimit text equals the serializer's for any numbers, and for other policy names")
    func fastPathMatchesSerializer() {
        for (remaining, reset) in [(0, 0), (1, 1), (9, 10), (99, 100), (119, 60), (999_999_999, 86_400), (-5, -1), (123_456_789_012_345, 7)] {
            #expect(fields.rateLimit(remaining: remaining, resetSeconds: reset) == fields.serialized(remaining: remaining, resetSeconds: reset))
        }
        let odd = RateLimitFields(policyName: "per \"user\" limit", quota: 5, windowSeconds: 1)
        #expect(odd.rateLimit(remaining: 2, resetSeconds: 1) == odd.serialized(remaining: 2, resetSeconds: 1))
    }
}
