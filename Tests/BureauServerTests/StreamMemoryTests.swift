import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import BureauServer

/// Collects what a response body writes.
private struct CollectingWriter: ResponseBodyWriter {
    final class Sink: Sendable {
        let text = Mutex("")
    }

    let sink: Sink

    mutating func write(_ buffer: ByteBuffer) async throws {
        sink.text.withLock { $0 += String(buffer: buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// The task a request was answered on, and a task local as that task saw it.
private struct TaskReportingResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    @TaskLocal static var marker = "none"

    func respond(to request: Request, context: Context) async throws -> Response {
        Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "\(currentTask()) \(Self.marker)")))
    }
}

/// Calls `inner` and adds the task it was itself called on to the answer.
private struct OuterResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    let inner: Inner

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let task = currentTask()
        var response = try await inner.respond(to: request, context: context)
        let sink = CollectingWriter.Sink()
        try await response.body.write(CollectingWriter(sink: sink))
        let collected = sink.text.withLock { $0 }
        response.body = ResponseBody(byteBuffer: ByteBuffer(string: "\(collected) \(task)"))
        return response
    }
}

/// A request context that keeps the connection's channel, to read its options.
private struct ChannelContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

private func currentTask() -> String {
    withUnsafeCurrentTask { $0.map { String($0.hashValue) } } ?? "none"
}

@Suite("What an open stream keeps: its body, its request's task, its receive buffer")
struct StreamMemoryTests {
    private func committed(_ sequence: UInt64, of user: UserID) -> CommittedMutation {
        let t0 = Timestamp(millisecondsSinceEpoch: 1_795_341_600_000)
        let desktop = Desktop(id: .random(), ownerID: user, name: "d", status: .running, createdAt: t0, updatedAt: t0, ordinal: sequence)
        let event = ActivityEvent(id: ActivityEventID(sequence: sequence), kind: .desktopCreated, at: t0, userID: user, subject: .desktop(desktop))
        return CommittedMutation(sequence: sequence, mutation: .desktopCreated(desktop), events: [event])
    }

    @Test("the opening is one buffer: retry, then the replayed events; a live event it covers is not sent twice")
    func openingAndLiveEvents() async throws {
        let ada = UserID.random()
        let hub = ActivityHub(bufferLimit: 8)
        let subscription = try #require(hub.subscribe(userID: ada, method: .session(.random())))
        let body = ActivityStreamBody(
            subscription: subscription,
            replay: .events([committed(1, of: ada).events[0], committed(2, of: ada).events[0]]),
            lastSeen: nil,
            resetTime: Timestamp(millisecondsSinceEpoch: 0)
        )
        #expect(body.coveredThrough == ActivityEventID(sequence: 2))
        #expect(String(buffer: body.opening).hasPrefix("retry: 3000\n\nid: 1\nevent: desktop.created\n"))

        let sink = CollectingWriter.Sink()
        let writing = Task {
            var writer: any ResponseBodyWriter = CollectingWriter(sink: sink)
            try await body.write(to: &writer, now: { Timestamp(millisecondsSinceEpoch: 0) })
        }
        // Event 2 was committed between the subscription and the replay read: it also arrives live.
        for sequence in UInt64(2)...3 { hub.publish(committed(sequence, of: ada)) }
        hub.markDurable(through: 3)
        hub.heartbeat()
        for _ in 0..<100_000 where !sink.text.withLock({ $0.contains(": keep-alive") }) { await Task.yield() }
        subscription.close(.shuttingDown)
        try await writing.value
        let text = sink.text.withLock { $0 }
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("id: ") } == ["id: 1", "id: 2", "id: 3"])
        // Closed for shutdown, the stream's last block says so (without an id).
        #expect(text.hasSuffix(": keep-alive\n\nevent: shutdown\ndata: {\"type\":\"shutdown\",\"at\":\"1970-01-01T00:00:00.000Z\",\"data\":{}}\n\n"))
        hub.shutDown()
    }

    @Test("a stream request is handled in a task of its own that keeps the task locals; other requests in place")
    func streamRequestsInTheirOwnTask() async throws {
        let responder = OuterResponder(inner: StreamRequestResponder(base: TaskReportingResponder(), isolatedPath: "/stream"))
        let application = Application(responder: responder)
        try await application.test(.router) { client in
            for (path, isolated) in [("/stream", true), ("/other", false)] {
                let response = try await TaskReportingResponder.$marker.withValue("inherited") {
                    try await client.execute(uri: path, method: .get)
                }
                let answer = String(buffer: response.body).split(separator: " ").map(String.init)
                #expect(answer.count == 3)
                #expect((answer[0] != answer[2]) == isolated, "\(path): handled on \(answer[0]), called on \(answer[2])")
                #expect(answer[1] == "inherited", "\(path)")
            }
        }
    }

    @Test("accepted connections start with the small receive buffer, and may still grow")
    func receiveAllocator() async throws {
        let router = Router(context: ChannelContext.self)
        router.get("/allocator") { _, context -> String in
            let allocator = try await context.channel.getOption(ChannelOptions.recvAllocator)
            guard let adaptive = allocator as? AdaptiveRecvByteBufferAllocator else { return "other" }
            return "\(adaptive.initial) \(adaptive.maximum)"
        }
        let application = Application(router: router, server: httpServer())
        try await application.test(.live) { client in
            let response = try await client.execute(uri: "/allocator", method: .get)
            #expect(String(buffer: response.body) == "\(HTTP1Connection.initialReceiveBytes) 65536")
            #expect(HTTP1Connection.initialReceiveBytes < 2048, "NIO's default first buffer is 2,048 bytes")
        }
    }
}
