import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One block of a `text/event-stream`: its fields, or a comment.
struct SSEBlock: Equatable {
    var id: String?
    var event: String?
    var data: String?
    var comment: String?
    var retry: String?
}

/// A minimal event-stream client over a real socket: it sends one GET and reads the response as it
/// arrives, block by block, so tests can watch a stream that never ends.
struct SSEConnection {
    /// The response's status and headers.
    let head: HTTPResponseHead
    private var iterator: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private var pending = ""
    /// `true` once the response (or the connection) has ended.
    private(set) var ended = false
    /// The body bytes received so far when the response is not a stream (errors).
    private(set) var text = ""

    fileprivate init(head: HTTPResponseHead, iterator: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator) {
        self.head = head
        self.iterator = iterator
    }

    /// The next block, or `nil` when the stream ended.
    mutating func next() async throws -> SSEBlock? {
        while true {
            if let range = pending.range(of: "\n\n") {
                let raw = pending[..<range.lowerBound]
                pending = String(pending[range.upperBound...])
                return Self.parse(raw)
            }
            guard !ended, let part = try await iterator.next() else {
                ended = true
                return nil
            }
            switch part {
            case .head: continue
            case .body(let buffer): pending += String(buffer: buffer)
            case .end: ended = true
            }
        }
    }

    /// The next block that is an event (skipping comments and `retry:`).
    mutating func nextEvent() async throws -> SSEBlock? {
        while let block = try await next() {
            if block.event != nil || block.data != nil { return block }
        }
        return nil
    }

    /// Reads the rest of a finite response body.
    mutating func readToEnd() async throws -> String {
        while !ended, let part = try await iterator.next() {
            if case .body(let buffer) = part { pending += String(buffer: buffer) }
            if case .end = part { ended = true }
        }
        return pending
    }

    private static func parse(_ raw: Substring) -> SSEBlock {
        var block = SSEBlock()
        for line in raw.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                block.comment = String(line.dropFirst().drop { $0 == " " })
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count == 2 ? String(parts[1].drop { $0 == " " }) : ""
            switch parts[0] {
            case "id": block.id = value
            case "event": block.event = value
            case "data": block.data = value
            case "retry": block.retry = value
            default: break
            }
        }
        return block
    }
}

enum SSEClient {
    /// Connects to `127.0.0.1:port`, sends `GET path` with `headers`, waits for the response head and runs
    /// `body` on the connection; the connection is closed when `body` returns, or after `timeout`, so a
    /// missing event fails the test instead of hanging it (generous: the whole test run shares two cores, and
    /// a loaded machine once took more than 10 s over one test's ten heartbeats). `receiveBuffer` sets the
    /// socket's receive buffer.
    static func open<Result: Sendable>(
        port: Int,
        _ path: String,
        headers: [(String, String)] = [],
        timeout: Duration = .seconds(60),
        receiveBuffer: Int? = nil,
        _ body: (inout SSEConnection) async throws -> Result
    ) async throws -> Result {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer {
            // A small window makes a reader that stops reading stall the server's writes quickly.
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let channel =
            try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        let watchdog = Task { [channel = channel.channel] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { channel.close(promise: nil) }
        }
        defer { watchdog.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: "127.0.0.1")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var iterator = inbound.makeAsyncIterator()
            guard case .head(let responseHead) = try await iterator.next() else { throw SSEClientError.noResponse }
            var connection = SSEConnection(head: responseHead, iterator: iterator)
            return try await body(&connection)
        }
    }
}

enum SSEClientError: Error {
    case noResponse
}
