import BureauSignIn
import Testing

@Suite struct ProviderNameTests {
    @Test func acceptsLowercaseDigitsAndDashes() {
        #expect(ProviderName("github") != nil)
        #expect(ProviderName("my-sso-2") != nil)
        #expect(ProviderName(String(repeating: "a", count: 32)) != nil)
    }

    @Test func refusesEverythingElse() {
        for bad in ["", "GitHub", "a_b", "a.b", "a/b", "é", String(repeating: "a", count: 33), "a b"] {
            #expect(ProviderName(bad) == nil, "\(bad)")
        }
    }
}
