import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// An answer read from a provider: its status and its whole body (at most the configured size).
struct ProviderAnswer: Sendable {
    var status: Int
    var body: ByteBuffer
}

/// Why a call to a provider got no answer: it took longer than the timeout, or anything else (refused
/// connection, TLS failure, an answer larger than allowed).
enum ProviderCallFailure: Error {
    case timedOut
    case unreachable(String)
}

/// The one HTTP client that talks to sign-in providers (async-http-client): redirects are not followed,
/// connecting and each whole call (sending, waiting, reading the body) are bounded by the timeout, and an
/// answer may hold at most `maxResponseBytes`. A `Service`: the server's service group shuts it down
/// once the server has stopped (``run()``).
public final class ProviderHTTPClient: Service, Sendable {
    private let client: HTTPClient
    private let timeout: Duration
    private let maxResponseBytes: Int

    /// A client with these bounds.
    public init(timeout: Duration, maxResponseBytes: Int) {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(nanoseconds), read: .nanoseconds(nanoseconds))
        )
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        // A provider that refuses connections is down now: a 502 at once, not after retrying until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// Waits for the graceful shutdown of the service group (or cancellation), then shuts the client down.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Shuts the client down (once; tests that run no service group call it themselves).
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// `GET url` with `headers`.
    func get(_ url: String, headers: [(String, String)] = []) async throws(ProviderCallFailure) -> ProviderAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await send(request)
    }

    /// `POST url` with a form body (`application/x-www-form-urlencoded`).
    func postForm(_ url: String, form: [(String, String)], headers: [(String, String)] = []) async throws(ProviderCallFailure) -> ProviderAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(form)))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws(ProviderCallFailure) -> ProviderAnswer {
        let client = client
        let limit = maxResponseBytes
        let timeout = timeout
        do {
            // The whole call, body included, races the timeout: a provider that trickles its answer is cut too.
            return try await withThrowingTaskGroup(of: ProviderAnswer?.self) { group in
                group.addTask {
                    let response = try await client.execute(request, timeout: TimeAmount.nanoseconds(Self.nanoseconds(timeout)))
                    let body = try await response.body.collect(upTo: limit)
                    return ProviderAnswer(status: Int(response.status.code), body: body)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answer = first else { throw ProviderCallFailure.timedOut }
                return answer
            }
        } catch let failure as ProviderCallFailure {
            throw failure
        } catch let error as HTTPClientError
            where [.connectTimeout, .readTimeout, .deadlineExceeded, .tlsHandshakeTimeout, .writeTimeout].contains(error)
        {
            throw .timedOut
        } catch {
            throw .unreachable(String(describing: type(of: error)))
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// `application/x-www-form-urlencoded` and query strings: every byte but the unreserved ones
/// (`A-Z a-z 0-9 - . _ ~`) percent-encoded.
enum FormEncoding {
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            if isUnreserved(byte) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    /// `url` with `pairs` added to its query.
    static func url(_ url: String, adding pairs: [(String, String)]) -> String {
        let separator = url.contains("?") ? (url.hasSuffix("?") || url.hasSuffix("&") ? "" : "&") : "?"
        return url + separator + encode(pairs)
    }
}
