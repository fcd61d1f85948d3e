// bureau-test-provider: a fake OpenID Connect provider for browser tests. Never shipped.
//
// Usage:
//   bureau-test-provider --email ada@example.com [--name "Ada Lovelace"] [--port 0]
//                        [--client-id ID] [--client-secret SECRET]
//
// It serves an OpenID Connect provider on 127.0.0.1:<port> (0 or no --port: a free port) and prints its
// issuer URL, `http://127.0.0.1:<port>`, alone on the first line of stdout. Its authorization endpoint signs
// in the given e-mail (verified) without any interaction: it redirects straight back to the redirect URI
// with a code. Its token endpoint checks the code (once), the redirect URI and the PKCE verifier, and the
// client id and secret if given (else it accepts any, and the ID token's `aud` is the client id presented).
// ID tokens are RS256, signed with a key generated at start and published at `<issuer>/jwks`.
//
// Point Bureau at it with:
//   auth.oidc.test.issuer: <the printed URL>
//   auth.oidc.test.client_id: <any id, or the --client-id>
//   BUREAU_AUTH_OIDC_TEST_CLIENT_SECRET=<any secret, or the --client-secret>
// then sign in at /api/auth/oauth/test.
//
// It exits when its stdin closes (so a test that started it with a pipe cannot leave it behind) or on
// SIGTERM/SIGINT.
import BureauFakeProviders
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func argumentValue(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let email = argumentValue("--email", in: arguments) else {
    FileHandle.standardError.write(Data("usage: bureau-test-provider --email E [--name N] [--port P] [--client-id ID] [--client-secret S]\n".utf8))
    exit(64)
}
var behavior = FakeOpenIDProvider.Behavior()
behavior.email = email
behavior.name = argumentValue("--name", in: arguments)
behavior.clientID = argumentValue("--client-id", in: arguments)
behavior.clientSecret = argumentValue("--client-secret", in: arguments)
let port = argumentValue("--port", in: arguments).flatMap { Int($0) } ?? 0

let provider = try await FakeOpenIDProvider(behavior: behavior)
let issuer = try await provider.start(port: port)
FileHandle.standardOutput.write(Data("\(issuer)\n".utf8))

// Wait for stdin to close, SIGTERM or SIGINT, whichever comes first.
let (stop, stopContinuation) = AsyncStream.makeStream(of: Void.self)
let stdinWatcher = Thread {
    var buffer = [UInt8](repeating: 0, count: 256)
    while read(0, &buffer, buffer.count) > 0 {}
    stopContinuation.yield()
}
stdinWatcher.start()
signal(SIGTERM, SIG_IGN)
signal(SIGINT, SIG_IGN)
var signalSources: [any DispatchSourceSignal] = []
for number in [SIGTERM, SIGINT] {
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler { stopContinuation.yield() }
    source.resume()
    signalSources.append(source)
}
for await _ in stop { break }
await provider.stop()
exit(0)
