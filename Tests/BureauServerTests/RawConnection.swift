import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A bare TCP connection to the server under test: sends exactly the bytes it is given, when it is told
/// to, and records what comes back and whether the server closed it. For tests of what a client that
/// sends too little, too slowly, or nothing at all is allowed to hold.
final class RawConnection: Sendable {
    private final class Received: Sendable {
        let state = Mutex<(text: String, closed: Bool)>(("", false))
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: Received

        init(_ received: Received) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            received.state.withLock { $0.text += text }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.state.withLock { $0.closed = true }
            context.fireChannelInactive()
        }
    }

    private let channel: any Channel
    private let received: Received

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    /// Connects to `127.0.0.1:port`.
    static func open(port: Int) async throws -> RawConnection {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received)) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawConnection(channel: channel, received: received)
    }

    /// Sends `text` as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Sends a GET for `path`, keeping the connection alive.
    func get(_ path: String, headers: String = "") async throws {
        try await send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n")
    }

    /// Everything received so far.
    var text: String { received.state.withLock { $0.text } }

    /// `true` once the server closed the connection.
    var isClosed: Bool { received.state.withLock { $0.closed } }

    /// Waits until `condition` holds, checking every 10 ms, for at most `timeout`; says whether it held.
    @discardableResult
    func wait(upTo timeout: Duration, until condition: (RawConnection) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            // Looked at once more after the deadline: a test task starved of the suite's two cooperative
            // threads past it may find the condition met meanwhile.
            guard ContinuousClock.now < deadline else { return condition(self) }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Waits (at most `timeout`) for the server to close the connection; says whether it did.
    func closedByServer(within timeout: Duration) async throws -> Bool {
        try await wait(upTo: timeout) { $0.isClosed }
    }

    /// The status codes of the complete responses received so far.
    var statuses: [Int] {
        var statuses: [Int] = []
        var rest = Substring(text)
        while let end = rest.range(of: "\r\n\r\n") {
            let head = rest[..<end.lowerBound]
            let length =
                head.split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let body = rest[end.upperBound...]
            guard body.utf8.count >= length, let status = Int(head.split(separator: " ").dropFirst().first ?? "") else { break }
            statuses.append(status)
            rest = body.dropFirst(length)
        }
        return statuses
    }

    /// Waits (at most `timeout`) for `count` complete responses, and returns their statuses.
    func responses(_ count: Int, within timeout: Duration = .seconds(15)) async throws -> [Int] {
        try await wait(upTo: timeout) { $0.statuses.count >= count || $0.isClosed }
        return statuses
    }

    /// Closes the connection from this side.
    func close() async {
        try? await channel.close()
    }
}
