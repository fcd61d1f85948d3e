import BureauAuth
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Synchronization
import Testing

@testable import BureauServer

/// `http.synchronous_reads`: one set of services served twice, through the router and with reads answered
/// on the event loop, over real sockets, so that each answer can be compared with the router's byte for byte
/// and the limits, key uses and logs seen to be shared.
@Suite("Synchronous reads: the router's answer and effects, on the event loop")
struct SynchronousReadsLiveTests {
    /// One answer read off a connection.
    struct RawAnswer: Equatable {
        var statusLine: String
        var fields: [(name: String, value: String)]
        var body: String

        static func == (a: RawAnswer, b: RawAnswer) -> Bool {
            a.statusLine == b.statusLine && a.body == b.body && a.fields.map(\.name) == b.fields.map(\.name)
                && a.fields.map(\.value) == b.fields.map(\.value)
        }

        func value(_ name: String) -> String? { fields.first { $0.name.lowercased() == name.lowercased() }?.value }

        /// The answer with the fields that differ between any two answers blanked: `Date`, the request id's
        /// value (its shape kept), and `RateLimit`'s remaining count and reset (the counter moves on).
        var comparable: RawAnswer {
            var copy = self
            copy.fields = fields.map { field in
                switch field.name.lowercased() {
                case "date": (field.name, "<date>")
                case "x-request-id":
                    (field.name, field.value.replacingOccurrences(of: #"[0-9a-f]+-[0-9a-f]+"#, with: "<id>", options: .regularExpression))
                case "ratelimit", "retry-after":
                    (field.name, field.value.replacingOccurrences(of: #"[0-9]+"#, with: "<n>", options: .regularExpression))
                default: field
                }
            }
            return copy
        }

        /// `r=` of the `RateLimit` field.
        var remaining: Int? {
            guard let value = value("RateLimit"), let range = value.range(of: #"r=[0-9]+"#, options: .regularExpression) else { return nil }
            return Int(value[range].dropFirst(2))
        }
    }

    /// The complete answers in `text`, in order (answers to `HEAD` when `bodiless`).
    static func answers(in text: String, bodiless: Bool = false) -> [RawAnswer] {
        var answers: [RawAnswer] = []
        var rest = Substring(text)
        while let end = rest.range(of: "\r\n\r\n") {
            let lines = rest[..<end.lowerBound].components(separatedBy: "\r\n")
            let fields = lines.dropFirst().map { line -> (name: String, value: String) in
                let colon = line.firstIndex(of: ":")!
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = bodiless ? 0 : fields.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
            let body = rest[end.upperBound...]
            guard body.utf8.count >= length else { break }
            answers.append(RawAnswer(statusLine: lines[0], fields: fields, body: String(body.prefix(length))))
            rest = body.dropFirst(length)
        }
        return answers
    }

    /// Sends `requests` (raw HTTP/1.1 text) at once on a new connection to `port`, and returns the `count`
    /// answers that come back.
    static func exchange(_ port: Int, _ requests: String, expecting count: Int = 1) async throws -> [RawAnswer] {
        let connection = try await RawConnection.open(port: port)
        defer { Task { await connection.close() } }
        let bodiless = requests.hasPrefix("HEAD ")
        try await connection.send(requests)
        try await connection.wait(upTo: .seconds(30)) { answers(in: $0.text, bodiless: bodiless).count >= count || $0.isClosed }
        return answers(in: connection.text, bodiless: bodiless)
    }

    /// A flag set by one task and read by others.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    static func get(_ path: String = "/api/desktops", key: String, extra: String = "", method: String = "GET") -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(key)\r\n\(extra)\r\n"
    }

    /// Services over an in-memory store (fast bcrypt, the limit given), logging to `log`, the limits reading
    /// time from `clock`.
    static func services(
        limit: Int = 100_000,
        failedKeys: Int = 10,
        log: any RequestLog = LoggerRequestLog(),
        clock: any MonotonicClock = SystemMonotonicClock()
    ) -> BureauServices {
        var settings = TestHarness.settings
        settings.rateLimits.generalLimit = limit
        settings.rateLimits.failedAuthLimit = failedKeys
        return BureauServices(
            store: BureauStore(state: StoreState(), journal: EphemeralJournal()),
            settings: settings,
            clock: clock,
            requestLog: log
        )
    }

    /// Serves `services` through the router (first port) and with synchronous reads (second port).
    static func serveBoth(_ services: BureauServices, _ body: @Sendable (Int, Int) async throws -> Void) async throws {
        let routed = Application(responder: buildResponder(services), server: httpServer(services, synchronousReads: false))
        let direct = Application(responder: buildResponder(services), server: httpServer(services, synchronousReads: true))
        try await routed.test(.live) { routedClient in
            try await direct.test(.live) { directClient in
                try await body(try #require(routedClient.port), try #require(directClient.port))
            }
        }
    }

    /// A user with two desktops and a key (not yet verified, so not cached).
    static func account(_ services: BureauServices, _ email: String = "ada@example.com") async throws -> (UserID, String) {
        let user = try await services.operations.createUser(NewUser(email: email)).id
        for name in ["first", "second"] { _ = try await services.operations.createDesktop(NewDesktop(name: name), by: .operator(user)) }
        let key = try await services.operations.createAPIKey(NewAPIKey(name: "k"), by: .operator(user)).plaintext
        return (user, key)
    }

    @Test("the answer equals the router's: status, every field in order, the body's bytes (but Date and the id's value)")
    func sameAnswer() async throws {
        let services = Self.services()
        let (_, key) = try await Self.account(services)
        try await Self.serveBoth(services) { routed, direct in
            let first = try #require(try await Self.exchange(routed, Self.get(key: key)).first)  // pays bcrypt, caches the key
            let before = services.synchronousReads.answered
            let fast = try #require(try await Self.exchange(direct, Self.get(key: key)).first)
            #expect(services.synchronousReads.answered == before + 1, "answered on the event loop")
            let slow = try #require(try await Self.exchange(routed, Self.get(key: key)).first)
            #expect(fast.statusLine == "HTTP/1.1 200 OK")
            #expect(fast.comparable == slow.comparable, "\(fast.fields) against \(slow.fields)")
            #expect(fast.body == slow.body && fast.body.contains("\"first\"") && fast.body.contains("\"second\""))
            #expect(fast.value("x-request-id") != slow.value("x-request-id"))
            // One limiter: each request took one slot, whichever path answered it.
            #expect(fast.remaining == first.remaining.map { $0 - 1 } && slow.remaining == first.remaining.map { $0 - 2 })
            #expect(fast.value("Date")?.hasSuffix(" GMT") == true && fast.value("Date")?.count == slow.value("Date")?.count)
        }
    }

    /// Keeps every record.
    final class Records: RequestLog {
        let records = Mutex<[RequestLogRecord]>([])
        func isEnabled(for logger: Logger) -> Bool { true }
        func record(_ record: RequestLogRecord, logger: Logger) { records.withLock { $0.append(record) } }
        var all: [RequestLogRecord] { records.withLock { $0 } }
    }

    @Test("a request log record with the router's fields, the answer's request id, and the key's use counted")
    func logAndUsage() async throws {
        let log = Records()
        let services = Self.services(log: log)
        let (user, key) = try await Self.account(services)
        try await Self.serveBoth(services) { routed, direct in
            let slow = try #require(try await Self.exchange(routed, Self.get(key: key)).first)
            let fast = try #require(try await Self.exchange(direct, Self.get(key: key)).first)
            let records = log.all
            try #require(records.count == 2)
            let (a, b) = (records[0], records[1])
            #expect(a.requestID == slow.value("x-request-id") && b.requestID == fast.value("x-request-id"))
            #expect(b.method == a.method && b.target == a.target && b.route == a.route && b.status == a.status)
            #expect(b.userID == user && a.userID == user && b.authMethod == "api_key" && a.authMethod == "api_key")
            #expect(b.client == a.client && b.client != nil)
            #expect(b.route == "/api/desktops" && b.status == 200)
        }
        // Both uses counted for the key, as the key's usage reads them.
        let record = try #require(services.store.read { state in state.apiKeys.values.first { $0.userID == user } })
        #expect(services.verifier.usage.lastUsed(record) != nil)
        let history = services.verifier.usage.history(of: record.id, stored: nil)
        #expect(history.requests.map(\.count).reduce(0, +) == 2, "\(history.requests)")
    }

    @Test("the general limit is one for both paths: past it both refuse with the same 429")
    func sharedLimit() async throws {
        // The limiter's clock stands still, so both refusals name the same seconds to wait however slowly
        // the machine runs.
        let services = Self.services(limit: 3, clock: ManualMonotonicClock())
        let (_, key) = try await Self.account(services)
        try await Self.serveBoth(services) { routed, direct in
            let first = try await Self.exchange(routed, Self.get(key: key))
            let next = try await Self.exchange(direct, Self.get(key: key) + Self.get(key: key), expecting: 2)
            #expect((first + next).map(\.statusLine) == Array(repeating: "HTTP/1.1 200 OK", count: 3))
            let before = services.synchronousReads.answered
            let fast = try #require(try await Self.exchange(direct, Self.get(key: key)).first)
            #expect(services.synchronousReads.answered == before + 1)
            let slow = try #require(try await Self.exchange(routed, Self.get(key: key)).first)
            #expect(fast.statusLine == "HTTP/1.1 429 Too Many Requests")
            #expect(fast.comparable == slow.comparable, "\(fast.fields) against \(slow.fields)")
            #expect(fast.body.contains("rate_limited") && fast.value("Retry-After") == slow.value("Retry-After"))
            #expect(fast.value("Retry-After") != nil && fast.remaining == 0)
        }
    }

    @Test("a key revoked while requests run is refused from the next request on, with the router's 401")
    func revokedAtOnce() async throws {
        // The revoked key's uses count as failed keys: a limit above them all keeps the answer a 401 (past it
        // the blocker's 429, as on the router's path; that limit has tests of its own).
        let services = Self.services(failedKeys: 1000)
        let (user, key) = try await Self.account(services)
        let keyID = try #require(services.store.read { state in state.apiKeys.values.first { $0.userID == user }?.id })
        try await Self.serveBoth(services) { routed, direct in
            _ = try await Self.exchange(routed, Self.get(key: key))
            // Requests on four connections, each sending one after another, while the key is revoked.
            let revoked = Flag()
            try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let connection = try await RawConnection.open(port: direct)
                        defer { Task { await connection.close() } }
                        var statuses: [String] = []
                        for sent in 1...40 {
                            let revokedBefore = revoked.isSet
                            try await connection.send(Self.get(key: key))
                            try await connection.wait(upTo: .seconds(30)) { Self.answers(in: $0.text).count >= sent }
                            let status = try #require(Self.answers(in: connection.text).last?.statusLine)
                            if revokedBefore { #expect(status == "HTTP/1.1 401 Unauthorized", "a request sent after the revocation") }
                            statuses.append(status)
                        }
                        return statuses
                    }
                }
                try await Task.sleep(for: .milliseconds(20))
                try await services.operations.revokeAPIKey(keyID.description, by: .operator(user))
                revoked.set()
                for try await statuses in group {
                    // Once refused, never admitted again.
                    let firstRefusal = statuses.firstIndex(of: "HTTP/1.1 401 Unauthorized") ?? statuses.count
                    #expect(statuses[..<firstRefusal].allSatisfy { $0 == "HTTP/1.1 200 OK" })
                    #expect(statuses[firstRefusal...].allSatisfy { $0 == "HTTP/1.1 401 Unauthorized" })
                }
            }
            let fast = try #require(try await Self.exchange(direct, Self.get(key: key)).first)
            let slow = try #require(try await Self.exchange(routed, Self.get(key: key)).first)
            #expect(fast.statusLine == "HTTP/1.1 401 Unauthorized")
            #expect(fast.comparable == slow.comparable && fast.body == slow.body)
        }
    }

    @Test("a key not verified yet goes to the router (bcrypt never runs on the event loop); once cached, it does not")
    func uncachedKeyFallsThrough() async throws {
        let services = Self.services()
        let (_, key) = try await Self.account(services)
        try await Self.serveBoth(services) { _, direct in
            let before = services.synchronousReads.answered
            let first = try await Self.exchange(direct, Self.get(key: key))
            #expect(first.map(\.statusLine) == ["HTTP/1.1 200 OK"])
            #expect(services.synchronousReads.answered == before, "the first use needs bcrypt: the router answered")
            let second = try await Self.exchange(direct, Self.get(key: key))
            #expect(second.map(\.statusLine) == ["HTTP/1.1 200 OK"])
            #expect(services.synchronousReads.answered == before + 1)
            #expect(second.first?.body == first.first?.body)
            // A key that fails its checksum: refused without bcrypt.
            let unknown = try await Self.exchange(direct, Self.get(key: String(key.dropLast(4)) + "AAAA"))
            #expect(unknown.first?.statusLine == "HTTP/1.1 401 Unauthorized")
        }
    }

    @Test("pipelined requests are answered in order: a read waits for the write sent before it")
    func pipelinedOrder() async throws {
        let services = Self.services()
        let (_, key) = try await Self.account(services)
        try await Self.serveBoth(services) { routed, direct in
            _ = try await Self.exchange(routed, Self.get(key: key))
            let body = #"{"name":"third"}"#
            let post =
                "POST /api/desktops HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(key)\r\ncontent-type: application/json\r\n"
                + "content-length: \(body.utf8.count)\r\n\r\n\(body)"
            let answers = try await Self.exchange(direct, Self.get(key: key) + post + Self.get(key: key) + Self.get(key: key), expecting: 4)
            #expect(answers.map(\.statusLine) == ["HTTP/1.1 200 OK", "HTTP/1.1 201 Created", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])
            #expect(answers.count == 4 && !answers[0].body.contains("third") && answers[2].body.contains("third"))
            #expect(answers.count == 4 && answers[3].body == answers[2].body)
        }
    }

    @Test("every other spelling, method or shape of the request goes to the router, with the router's answer")
    func otherRequestsFallThrough() async throws {
        let services = Self.services()
        let (_, key) = try await Self.account(services)
        try await Self.serveBoth(services) { routed, direct in
            _ = try await Self.exchange(routed, Self.get(key: key))
            let requests = [
                Self.get("//api/desktops", key: key), Self.get("/api/desktops/", key: key), Self.get("/api/%64esktops", key: key),
                Self.get("/api/desktops?limit=1", key: key), Self.get("/API/desktops", key: key),
                Self.get(key: key, method: "HEAD"), Self.get(key: key, extra: "Connection: close\r\n"),
                Self.get(key: key, extra: "content-length: 0\r\n"),
                "GET /api/desktops HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", Self.get("/healthz", key: key),
            ]
            for request in requests {
                let before = services.synchronousReads.answered
                let fast = try #require(try await Self.exchange(direct, request).first, "\(request)")
                #expect(services.synchronousReads.answered == before, "answered on the event loop: \(request)")
                let slow = try #require(try await Self.exchange(routed, request).first)
                #expect(fast.comparable == slow.comparable && fast.body == slow.body, "\(request)")
            }
        }
    }

    @Test("a routed answer that streams takes the handler out of the connection; any other answer leaves it in")
    func leavesStreamingConnections() throws {
        let services = Self.services()
        for (contentType, leaves) in [("text/event-stream", true), ("text/event-stream; charset=utf-8", true), ("application/json", false)] {
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(SynchronousReadHandler(reads: services.synchronousReads, logger: Logger(label: "test")))
            // A request the router answers: passed on as it is.
            let head = HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/api/mission-control/activity/stream")
            try channel.writeInbound(HTTPRequestPart.head(head))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            if case .head(let passed) = try #require(try channel.readInbound(as: HTTPRequestPart.self)) {
                #expect(passed.path == head.path)
            } else {
                Issue.record("the head was not passed on")
            }
            let response = HTTPResponse(status: .ok, headerFields: [.contentType: contentType])
            try channel.writeOutbound(HTTPResponsePart.head(response))
            if case .head(let written) = try #require(try channel.readOutbound(as: HTTPResponsePart.self)) {
                #expect(written.status == .ok)
            } else {
                Issue.record("the answer's head was not written")
            }
            let present = (try? channel.pipeline.syncOperations.handler(type: SynchronousReadHandler.self)) != nil
            #expect(present == !leaves, "\(contentType)")
            _ = try channel.finish()
        }
    }

}
