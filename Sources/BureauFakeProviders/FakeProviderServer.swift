import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A fake provider's HTTP server on `127.0.0.1`: started in the background by ``start(port:)``, stopped
/// by ``stop()``. Tests and the `bureau-test-provider` executable run the fakes with it.
public final class FakeProviderServer: Sendable {
    private let responder = Mutex<RouterResponder<BasicRequestContext>?>(nil)
    private let running = Mutex<(group: ServiceGroup?, task: Task<Void, any Error>?)>((nil, nil))

    init() {}

    /// Serves `router`'s routes from now on (called once, before ``start(port:)``).
    func serve(_ router: Router<BasicRequestContext>) {
        let built = router.buildResponder()
        responder.withLock { $0 = built }
    }

    /// Binds `127.0.0.1:port` (0: a free port) and serves in the background; returns the bound port.
    func start(port: Int = 0) async throws -> Int {
        guard let responder = responder.withLock({ $0 }) else { throw FakeProviderError.didNotStart }
        let (bound, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? port)
                continuation.finish()
            },
            logger: Logger(label: "bureau.fake-provider", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let group = ServiceGroup(
            configuration: .init(services: [app], logger: Logger(label: "bureau.fake-provider", factory: { _ in SwiftLogNoOpLogHandler() }))
        )
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        running.withLock { $0 = (group, task) }
        for await port in bound { return port }
        _ = try await task.value
        throw FakeProviderError.didNotStart
    }

    /// Stops serving and waits until the server has closed.
    func stop() async {
        let (group, task) = running.withLock { running in
            defer { running = (nil, nil) }
            return running
        }
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
    }
}

/// Why a fake provider could not start.
public enum FakeProviderError: Error {
    case didNotStart
}

/// Form bodies and query strings as the fakes read them.
enum FakeForm {
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            values[name] = value
        }
        return values
    }

    static func decode(_ text: Substring) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `url` with the query `pairs` added.
    static func url(_ url: String, adding pairs: [(String, String)]) -> String {
        url + (url.contains("?") ? "&" : "?") + pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// The request's body, read as a form.
    static func body(of request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 65_536)
        return parse(String(buffer: buffer))
    }

    /// A JSON answer.
    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// A redirect to `location`.
    static func redirect(_ location: String) -> Response {
        Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// The credentials of a client, from HTTP Basic or the form.
    static func clientCredentials(_ request: Request, form: [String: String]) -> (id: String, secret: String)? {
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(authorization.dropFirst("Basic ".count))),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            return (decode(text[..<colon]), decode(text[text.index(after: colon)...]))
        }
        guard let id = form["client_id"], let secret = form["client_secret"] else { return nil }
        return (id, secret)
    }

    /// A random opaque value (codes, tokens).
    static func random() -> String {
        (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined()
    }
}
