import BureauServer
import BureauStore
import Foundation
import Testing

@testable import BureauCLI

@Suite("Session configuration")
struct SessionConfigurationTests {
    @Test("defaults: secure cookie, no dev-login, 24 h idle, 7 days absolute")
    func defaults() throws {
        let server = try BureauConfiguration.load(file: nil, environment: [:], flags: [:]).server
        #expect(server.cookieSecure && !server.devLogin)
        #expect(server.sessionIdleSeconds == 86_400 && server.sessionAbsoluteSeconds == 604_800)
        #expect(server.sessionLifetime == .standard)
    }

    @Test("the auth.* session keys reach the server's settings from a file, the environment and flags")
    func sources() throws {
        let path = try ConfigurationTests.file(
            """
            auth:
              cookie_secure: false
              dev_login: true
              session_idle_seconds: 900
            """
        )
        let server = try BureauConfiguration.load(
            file: path,
            environment: ["BUREAU_AUTH_SESSION_ABSOLUTE_SECONDS": "7200"],
            flags: ["auth.session_idle_seconds": "1200"]
        ).server
        #expect(!server.cookieSecure && server.devLogin)
        #expect(server.sessionIdleSeconds == 1200, "a flag beats the file")
        #expect(server.sessionAbsoluteSeconds == 7200)
        #expect(throws: ConfigurationError.self) {
            _ = try BureauConfiguration.load(file: nil, environment: [:], flags: ["auth.session_idle_seconds": "5"])
        }
    }

    @Test("the demo serves plain HTTP on localhost, so its cookie drops Secure and the __Host- prefix")
    func demoIsInsecureLocalhost() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures/demo.yaml").path
        let server = try BureauConfiguration.load(file: path, environment: [:], flags: [:]).server
        #expect(!server.cookieSecure && server.devLogin)
        #expect(server.origin == "http://127.0.0.1:8080")
    }
}
