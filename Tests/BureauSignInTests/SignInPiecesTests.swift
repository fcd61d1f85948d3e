import BureauTestSupport
import Crypto
import Testing

@testable import BureauSignIn

@Suite("Sign-in pieces")
struct SignInPiecesTests {
    @Test("the PKCE S256 challenge of RFC 7636's example verifier is the RFC's")
    func pkceVector() {
        #expect(RandomToken.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test("random tokens: 43 base64url characters, never twice the same")
    func randomTokens() {
        let tokens = (0..<1000).map { _ in RandomToken.generate() }
        #expect(Set(tokens).count == 1000)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(tokens.allSatisfy { $0.count == 43 && $0.allSatisfy(alphabet.contains) })
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
    }

    @Test("form encoding escapes everything but the unreserved characters")
    func formEncoding() {
        #expect(FormEncoding.encode([("a b", "x&y=z/é~")]) == "a%20b=x%26y%3Dz%2F%C3%A9~")
        #expect(FormEncoding.url("https://p.example/auth", adding: [("a", "1")]) == "https://p.example/auth?a=1")
        #expect(FormEncoding.url("https://p.example/auth?tenant=x", adding: [("a", "1")]) == "https://p.example/auth?tenant=x&a=1")
    }

    @Test("endpoints: https anywhere, http only on loopback")
    func endpoints() {
        for good in ["https://accounts.google.com", "http://127.0.0.1:8080/realms/x", "http://localhost:9000", "http://[::1]:80/x"] {
            #expect(EndpointURL.isAcceptable(good), "\(good)")
        }
        for bad in ["http://sso.example.com", "http://127.evil.example/", "ftp://x", "https://", "http://user@127.0.0.1/", "sso.example.com"] {
            #expect(!EndpointURL.isAcceptable(bad), "\(bad)")
        }
    }

    static func pending(_ provider: String = "corp") -> PendingSignIn {
        PendingSignIn(provider: ProviderName(provider)!, bindingDigest: RandomToken.digest("binding"), verifier: "verifier", nonceDigest: nil)
    }

    @Test("a pending sign-in is found by its state once, and never after")
    func singleUse() {
        let pending = PendingSignIns(lifetime: .seconds(600), capacity: 10, clock: ManualMonotonicClock())
        pending.insert(Self.pending(), state: "state-1")
        #expect(pending.take(state: "state-2") == nil)
        #expect(pending.take(state: "state-1")?.verifier == "verifier")
        #expect(pending.take(state: "state-1") == nil)
        #expect(pending.count == 0)
    }

    @Test("a pending sign-in expires after its lifetime")
    func expiry() {
        let clock = ManualMonotonicClock()
        let pending = PendingSignIns(lifetime: .seconds(600), capacity: 10, clock: clock)
        pending.insert(Self.pending(), state: "early")
        clock.advance(by: .seconds(599))
        pending.insert(Self.pending(), state: "late")
        clock.advance(by: .seconds(2))
        #expect(pending.take(state: "early") == nil)
        #expect(pending.take(state: "late") != nil)
        clock.advance(by: .seconds(600))
        pending.insert(Self.pending(), state: "sweeper")
        #expect(pending.count == 1, "expired entries are swept by the next insert")
    }

    @Test("past the capacity the oldest pending sign-ins are forgotten; memory stays bounded")
    func capacity() {
        let pending = PendingSignIns(lifetime: .seconds(600), capacity: 3, clock: ManualMonotonicClock())
        for index in 0..<1000 {
            pending.insert(Self.pending(), state: "s\(index)")
            if index % 2 == 0 { _ = pending.take(state: "s\(index)") }
        }
        #expect(pending.count <= 3)
        #expect(pending.take(state: "s999") != nil)
        #expect(pending.take(state: "s1") == nil)
    }

    @Test("a client secret never shows in a description, a debug description or a dump")
    func secretHidden() {
        let secret = ClientSecret("s3cr3t-value")
        var dumped = ""
        dump(secret, to: &dumped)
        for text in [String(describing: secret), String(reflecting: secret), "\(secret)", dumped] {
            #expect(!text.contains("s3cr3t"))
        }
    }

    @Test("provider error codes are shown only when made of safe characters")
    func errorCodes() {
        #expect(ProviderErrorCode.sanitized("access_denied") == "access_denied")
        #expect(ProviderErrorCode.sanitized("<script>") == "unknown")
        #expect(ProviderErrorCode.sanitized(String(repeating: "a", count: 65)) == "unknown")
        #expect(ProviderErrorCode.sanitized(nil) == "unknown")
    }
}
