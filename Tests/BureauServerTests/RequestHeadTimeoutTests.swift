import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import BureauServer

/// A connection's pipeline as far as the request-head deadline goes: raw bytes, the deadline, the HTTP
/// decoder, the observer. Time is the embedded event loop's, moved by the test.
private struct HeadTimedConnection {
    let channel: EmbeddedChannel

    init(timeout: TimeAmount = .seconds(10)) throws {
        channel = EmbeddedChannel()
        let deadline = RequestHeadTimeoutHandler(timeout: timeout, logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandlers(
            deadline,
            ByteToMessageHandler(HTTPRequestDecoder()),
            RequestHeadObserver(timeout: deadline)
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
    }

    /// Sends `text` as one read.
    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Sends `text` one byte at a time, `gap` apart; stops early (returning the bytes sent) if the
    /// connection is closed.
    @discardableResult
    func dribble(_ text: String, gap: TimeAmount) throws -> Int {
        var sent = 0
        for byte in text.utf8 {
            guard channel.isActive else { break }
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            sent += 1
            channel.embeddedEventLoop.advanceTime(by: gap)
        }
        return sent
    }

    func wait(_ amount: TimeAmount) {
        channel.embeddedEventLoop.advanceTime(by: amount)
    }

    /// The request parts decoded so far.
    func heads() throws -> [String] {
        var heads: [String] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part { heads.append(head.uri) }
        }
        return heads
    }
}

@Suite("The request-head deadline: a head must be complete in time, whatever trickles in")
struct RequestHeadTimeoutTests {
    static let head = "GET /healthz HTTP/1.1\r\nHost: bureau.test\r\nUser-Agent: slow\r\n\r\n"

    @Test("a head dribbled one byte at a time is dropped at the deadline, though bytes keep coming")
    func dribbledHeadDropped() throws {
        let connection = try HeadTimedConnection()
        // 62 bytes, 200 ms apart: 12.4 s to complete, each byte well inside any idle timeout.
        let sent = try connection.dribble(Self.head, gap: .milliseconds(200))
        #expect(!connection.channel.isActive)
        #expect(sent == 50, "closed 10 s after the first byte, after 50 bytes")
        #expect(try connection.heads().isEmpty)
    }

    @Test("a head completed just inside the deadline is served, and the connection stays open after it")
    func headJustInTime() throws {
        let connection = try HeadTimedConnection()
        let gap = TimeAmount.milliseconds(9_900 / Int64(Self.head.utf8.count))
        try connection.dribble(Self.head, gap: gap)
        #expect(connection.channel.isActive)
        connection.wait(.seconds(60))
        #expect(connection.channel.isActive, "a kept-alive connection waiting for its next request is not timed")
        #expect(try connection.heads() == ["/healthz"])
    }

    @Test("a connection that sends nothing is idle, not slow: the head deadline leaves it to the idle timeout")
    func silentConnection() throws {
        let connection = try HeadTimedConnection()
        connection.wait(.seconds(100))
        #expect(connection.channel.isActive)
        // Its first byte starts the deadline.
        try connection.send("G")
        connection.wait(.milliseconds(9_999))
        #expect(connection.channel.isActive)
        connection.wait(.milliseconds(1))
        #expect(!connection.channel.isActive)
    }

    @Test("on a kept-alive connection the deadline starts with the next head's first byte")
    func nextHeadTimedFromItsFirstByte() throws {
        let connection = try HeadTimedConnection()
        try connection.send(Self.head)
        connection.wait(.seconds(100))
        try connection.send("GET /next HT")
        connection.wait(.milliseconds(9_999))
        #expect(connection.channel.isActive)
        try connection.send("T")
        connection.wait(.milliseconds(1))
        #expect(!connection.channel.isActive)
        #expect(try connection.heads() == ["/healthz"])
    }

    @Test("a slow body after a complete head is not the head deadline's business")
    func slowBody() throws {
        let connection = try HeadTimedConnection()
        let body = String(repeating: "x", count: 100)
        try connection.send("POST /api/desktops HTTP/1.1\r\nHost: bureau.test\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        try connection.dribble(body, gap: .milliseconds(500))
        #expect(connection.channel.isActive, "50 s of body")
        // The next request is timed again.
        try connection.send("GET /x")
        connection.wait(.seconds(10))
        #expect(!connection.channel.isActive)
    }

    @Test("requests sent in one read, and a head split across reads, are each timed once")
    func pipelinedAndSplitHeads() throws {
        let connection = try HeadTimedConnection()
        try connection.send(Self.head + Self.head.replacingOccurrences(of: "healthz", with: "second"))
        try connection.send("GET /third HTTP/1.1\r\n")
        connection.wait(.seconds(5))
        try connection.send("Host: bureau.test\r\n\r\n")
        connection.wait(.seconds(30))
        #expect(connection.channel.isActive)
        #expect(try connection.heads() == ["/healthz", "/second", "/third"])
    }
}
