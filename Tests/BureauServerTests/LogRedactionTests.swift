import BureauAuth
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

@testable import BureauServer

/// No spelling of a key in a request target reaches the log.
@Suite("Secrets never reach the request log")
struct LogRedactionTests {
    /// `text` with each byte percent-encoded or not, as `choose` says: 0 plain, 1 `%xx`, 2 `%XX`, 3 `%25XX`.
    static func encoded(_ text: String, _ choose: (Int) -> Int) -> String {
        var output = ""
        for (index, byte) in text.utf8.enumerated() {
            let hex = String(byte, radix: 16)
            switch choose(index) {
            case 1: output += "%" + hex.lowercased()
            case 2: output += "%" + hex.uppercased()
            case 3: output += "%25" + hex.uppercased()
            default: output += String(decoding: [byte], as: UTF8.self)
            }
        }
        return output
    }

    /// Where a spelled key can sit in a target.
    static let placements: [@Sendable (String) -> String] = [
        { "/api/desktops/\($0)" }, { "/api/\($0)/desktops" }, { "/s?token=\($0)" }, { "/s?apiKey=\($0)" }, { "/s?x=1&\($0)=1" },
        { "/s?\($0)" }, { "/s#\($0)" }, { "/s?a=b#frag=\($0)" }, { "/s;k=\($0)" }, { "/s?x=\($0)&y=2" }, { "//api//\($0)//" },
        { "/api/desktops?note=prefix-\($0)-suffix" }, { "/s?q=\($0)%20and%20more" },
    ]

    /// Whether `logged`, decoded as far as it goes and ignoring case, holds `secret`.
    static func reveals(_ logged: String, _ secret: String) -> Bool {
        var text = logged
        for _ in 0..<10 { text = text.removingPercentEncoding ?? text }
        return text.lowercased().contains(secret.lowercased())
    }

    @Test("property: a key spelled in any encoding, case or place never shows its secret in the logged target")
    func anySpelling() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<400 {
            let key = APIKeyFormat.generate(using: &rng).plaintext
            let secret = String(key.dropFirst(5 + APIKeyFormat.lookupIDLength).prefix(APIKeyFormat.secretLength))
            var spelled = key
            switch round % 4 {
            case 1: spelled = "LB_K_" + key.dropFirst(5)
            case 2: spelled = "Lb_K_" + key.dropFirst(5)
            default: break
            }
            let mode = round % 5
            let text = Self.encoded(spelled) { _ in
                mode == 4 ? Int.random(in: 0...3, using: &rng) : (mode == 0 ? 0 : Int.random(in: 0...1, using: &rng) * mode)
            }
            let placement = Self.placements[Int.random(in: 0..<Self.placements.count, using: &rng)]
            let target = placement(text)
            let logged = LoggedTarget.redacted(target)
            #expect(!Self.reveals(logged, secret), "\(target) -> \(logged)")
        }
    }

    @Test("the reviewed spellings, and forms made to look harmless")
    func reviewedSpellings() {
        let key = APIKeyFormat.generate().plaintext
        let secret = String(key.dropFirst(17).prefix(30))
        let rest = String(key.dropFirst(5))
        let targets = [
            "/s?token=lb%5Fk%5F\(rest)", "/api/desktops/lb%5Fk%5F\(rest)", "/s?token=%6Cb_k_\(rest)", "/s?t=LB_K_\(rest)",
            "/s?t=lb%255Fk%255F\(rest)", "/s?t=lb%25255Fk%25255F\(rest)", "/s?%61pi%4Bey=\(rest)", "/s?API%4bEY=\(rest)",
            "/s?api%254Bey=\(rest)", "/s?x=1%26apiKey%3D\(rest)", "/s?x=\(rest)", "/api/\(rest)", "/s#apiKey=\(rest)",
            "/s?t=lb_k_\(rest.prefix(12))%2F\(rest.dropFirst(12))", "/s?t=lb_k_\(rest.prefix(20))%0A\(rest.dropFirst(20))",
        ]
        for target in targets {
            let logged = LoggedTarget.redacted(target)
            #expect(!Self.reveals(logged, secret), "\(target) -> \(logged)")
            #expect(!logged.utf8.contains { $0 < 0x21 || $0 > 0x7E }, "unprintable byte logged: \(logged)")
        }
        // Ordinary targets are logged as sent.
        for plain in ["/api/desktops", "/api/desktops/0b5e1a9e-4d1b-4c1e-9f5a-3c2d1e0f9a8b?limit=5&before=12", "/healthz"] {
            #expect(LoggedTarget.redacted(plain) == plain)
        }
        // A line break cannot forge a log line.
        #expect(LoggedTarget.redacted("/s?x=a%0Aforged") == "/s?x=a%0Aforged")
    }

    @Test("the log captured from real requests holds no secret, and shows the path")
    func capturedFromRequests() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let rest = String(key.dropFirst(5))
        let secret = String(key.dropFirst(17).prefix(30))
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        let logs = handler
        let application = Application(
            responder: buildResponder(harness.services),
            server: httpServer(),
            logger: Logger(label: "bureau.test") { _ in logs }
        )
        let targets = [
            "/api/desktops?token=lb%5Fk%5F\(rest)", "/api/desktops/lb%5Fk%5F\(rest)",
            "/api/mission-control/activity/stream?apiKey=lb_k_bad%5F\(rest)",
            "/api/mission-control/activity/stream?APIKEY=%6Cb_k_\(rest.dropLast())x", "/api/desktops?t=LB_K_\(rest)",
            "/api/desktops?t=lb%255Fk%255F\(rest)",
            "//api/desktops/\(rest)",
        ]
        try await application.test(.router) { client in
            for target in targets { _ = try await client.send(.get, target) }
        }
        let lines = logs.entries.map { "\($0.message) \($0.metadata)" }
        #expect(logs.entries.filter { $0.message == "request" }.count == targets.count)
        for line in lines {
            #expect(!Self.reveals(line, secret), "a secret reached the log: \(line)")
        }
        #expect(lines.contains { $0.contains("/api/desktops?token=") })
        #expect(lines.contains { $0.contains("//api/desktops/") })
    }
}
