import BureauFakeProviders
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `bureau` binary signing a browser in through the real `bureau-test-provider`, as a
/// headless-browser test would use them.
@Suite("Sign-in with a provider, black box")
struct ProviderSignInBlackBoxTests {
    /// `bureau-test-provider` started with a pipe as its stdin: closing the pipe stops it.
    final class TestProvider: Sendable {
        let child: ChildProcess
        let issuer: String

        init(_ arguments: [String]) throws {
            let path = BureauProcess.executable.deletingLastPathComponent().appendingPathComponent("bureau-test-provider").path
            child = try ChildProcess(path, arguments, environment: BureauBinary.environment, input: true)
            // The first line of standard output is the issuer URL.
            var seen = Data()
            while !seen.contains(UInt8(ascii: "\n")) {
                let chunk = child.output.availableData
                if chunk.isEmpty { break }
                seen.append(chunk)
            }
            issuer = String(String(decoding: seen, as: UTF8.self).prefix { $0 != "\n" })
        }

        /// Closes its stdin and waits for it to exit (killed after 30 s): its exit status.
        func closeInput() -> Int32 {
            try? child.input?.close()
            let watchdog = DispatchWorkItem { [child] in child.send(SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
            defer { watchdog.cancel() }
            return child.waitForExit()
        }
    }

    @Test(
        "bureau + bureau-test-provider: a browser signs in, /me answers for it, no secret reaches the log; the provider stops when its stdin closes"
    )
    func roundTrip() async throws {
        let provider = try TestProvider([
            "--email", "box@example.com", "--name", "Box Tester", "--client-id", "bureau-box", "--client-secret", "box-secret-42",
        ])
        #expect(provider.issuer.hasPrefix("http://127.0.0.1:"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bureau-signin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("bureau.yaml").path
        try """
        storage:
          data_dir: \(directory.path)/data
        auth:
          cookie_secure: false
          oidc:
            test:
              issuer: \(provider.issuer)
              client_id: bureau-box
              display_name: Test provider
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let environment = ["BUREAU_AUTH_OIDC_TEST_CLIENT_SECRET": "box-secret-42"]

        let check = try BureauProcess.run(["config", "check", config], environment: environment)
        #expect(check.status == 0 && !(check.stdout + check.stderr).contains("box-secret-42"))

        let server = try BureauProcess(serve: ["--config", config], environment: environment)
        let base = try #require(server.baseURL).absoluteString
        var code = ""
        do {
            let (status, providers) = try await server.request("GET", "/api/auth/providers")
            #expect(status == 200 && providers.contains(#""name":"test""#) && providers.contains("Test provider"))

            let start = try await FakeBrowser.get(base + "/api/auth/oauth/test")
            #expect(start.status == 302)
            let signInCookie = try #require(start.setCookies.first { $0.hasPrefix("bureau_signin=") }).prefix { $0 != ";" }
            let back = try await FakeBrowser.authorize(try #require(start.location))
            let callback = try #require(URLComponents(string: back))
            code = callback.queryItems?.first { $0.name == "code" }?.value ?? ""
            let finish = try await FakeBrowser.get(base + callback.path + "?" + (callback.percentEncodedQuery ?? ""), cookies: [String(signInCookie)])
            #expect(finish.status == 303 && finish.location == "/")
            let session = try #require(finish.setCookies.first { $0.hasPrefix("bureau_session=") }).prefix { $0 != ";" }
            let me = try await FakeBrowser.get(base + "/api/auth/me", cookies: [String(session)])
            #expect(me.status == 200 && me.body.contains("box@example.com") && me.body.contains("Box Tester"))
        } catch {
            Issue.record(error)
        }
        #expect(server.stop() == 0)
        let log = server.standardError()
        #expect(!code.isEmpty && !log.contains(code), "the code is never logged")
        #expect(!log.contains("box-secret-42"))
        #expect(log.contains("code=REDACTED") && log.contains("state=REDACTED"))
        #expect(provider.closeInput() == 0)
    }

    @Test("config check names a provider with a client id but no secret, and fails")
    func incompleteProvider() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bureau-signin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("bureau.yaml").path
        try "auth:\n  oauth:\n    github:\n      client_id: Iv1.abc\n".write(toFile: config, atomically: true, encoding: .utf8)
        let check = try BureauProcess.run(["config", "check", config])
        #expect(check.status != 0)
        #expect(check.stderr.contains("sign-in provider github is incomplete"))
        let flag = try BureauProcess.run(["serve", "--config", config, "--auth-oauth-github-client-secret", "hunter2-secret"], timeout: 30)
        #expect(flag.status != 0 && flag.stderr.contains("cannot be given on the command line") && !flag.stderr.contains("hunter2-secret"))
    }
}
