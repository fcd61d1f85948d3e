import BureauServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Synchronization
import Testing

/// A switch the test flips to let held streams go.
private final class Release: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }

    /// A release given before the stream opens: a stream that opens is let go at once.
    static var alreadySet: Release {
        let release = Release()
        release.set()
        return release
    }
}

/// The answers to the stream opens of a test, as they come.
private final class Openings: Sendable {
    private let answers = Mutex<[Opening]>([])
    var all: [Opening] { answers.withLock { $0 } }
    var count: Int { answers.withLock { $0.count } }
    func append(_ opening: Opening) { answers.withLock { $0.append(opening) } }
}

/// What opening a stream answered: its status, and the problem's code and headers for a refusal.
private struct Opening: Sendable {
    var status: Int
    var code: String?
    var contentType: String?
    var retryAfter: String?
}

@Suite("At most stream.max_streams_per_user open activity streams, through real sockets")
struct ActivityStreamCapLiveTests {
    static let stream = ActivityStreamLiveTests.stream

    /// Opens a stream with `key` on a connection of its own and, if it opened, holds it until `release`
    /// is set (60 s at most); records the answer in `openings`.
    private static func hold(port: Int, key: String, until release: Release, openings: Openings) async throws {
        try await SSEClient.open(port: port, stream, headers: [("x-api-key", key)], timeout: .seconds(90)) { sse in
            var opening = Opening(status: Int(sse.head.status.code))
            opening.contentType = sse.head.headers.first(name: "content-type")
            opening.retryAfter = sse.head.headers.first(name: "retry-after")
            if opening.status != 200 {
                let text = try await sse.readToEnd()
                opening.code = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["code"] as? String
            }
            openings.append(opening)
            if opening.status == 200 { _ = try await eventually(within: .seconds(60)) { release.isSet } }
        }
    }

    /// Opens a stream with `key` and closes it at once (after reading the refusal, if it is one): bounded
    /// even when a stream the test expects to be refused opens.
    private static func openOnce(port: Int, key: String) async throws -> Opening {
        let openings = Openings()
        try await hold(port: port, key: key, until: Release.alreadySet, openings: openings)
        return try #require(openings.all.first)
    }

    @Test("16 streams open; the 17th is 429 too_many_streams; closing one frees its slot at once")
    func seventeenth() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let hub = harness.services.activity
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let releases = (0..<16).map { _ in Release() }
            let openings = Openings()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for release in releases {
                    group.addTask { try await Self.hold(port: port, key: key, until: release, openings: openings) }
                }
                #expect(try await eventually(within: .seconds(15)) { hub.openStreams == 16 })

                let refused = try await Self.openOnce(port: port, key: key)
                #expect(refused.status == 429)
                #expect(refused.code == "too_many_streams")
                #expect(refused.contentType == "application/problem+json")
                #expect(refused.retryAfter == nil, "no time can be promised")
                #expect(hub.openStreams == 16)

                // A client that goes away frees its slot at once, not at the next heartbeat (none comes here).
                releases[0].set()
                #expect(try await eventually(within: .seconds(15)) { hub.openStreams == 15 }, "the departed stream kept its slot")
                let another = Release()
                group.addTask { try await Self.hold(port: port, key: key, until: another, openings: openings) }
                #expect(try await eventually(within: .seconds(15)) { openings.count == 17 })
                #expect(openings.all.map(\.status) == Array(repeating: 200, count: 17))
                #expect(hub.openStreams == 16)
                for release in releases + [another] { release.set() }
                try await group.waitForAll()
            }
            #expect(try await eventually(within: .seconds(15)) { hub.openStreams == 0 })
        }
    }

    @Test("40 concurrent opens: exactly 16 streams, the rest 429, never more than the cap")
    func concurrentOpens() async throws {
        let harness = TestHarness()
        let (_, key) = try await harness.account("ada@example.com")
        let hub = harness.services.activity
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let release = Release()
            let openings = Openings()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await Self.hold(port: port, key: key, until: release, openings: openings) }
                }
                var most = 0
                _ = try await eventually(within: .seconds(30)) {
                    most = max(most, hub.openStreams)
                    return openings.count == 40
                }
                let answered = openings.all
                #expect(answered.count == 40)
                #expect(answered.filter { $0.status == 200 }.count == 16)
                #expect(answered.filter { $0.status == 429 && $0.code == "too_many_streams" }.count == 24)
                #expect(most <= 16 && hub.openStreams == 16)
                release.set()
                try await group.waitForAll()
            }
        }
    }

    @Test("revoking the key that opened them frees every slot; another key of the user opens streams again")
    func revocationFreesSlots() async throws {
        var settings = TestHarness.settings
        settings.maxStreamsPerUser = 4
        let harness = TestHarness(settings: settings)
        let (ada, key) = try await harness.account("ada@example.com")
        let other = try await harness.key(for: ada, name: "other")
        let hub = harness.services.activity
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let release = Release()
            let openings = Openings()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Self.hold(port: port, key: key, until: release, openings: openings) }
                }
                #expect(try await eventually(within: .seconds(15)) { hub.openStreams == 4 })
                #expect(try await Self.openOnce(port: port, key: other).code == "too_many_streams", "the cap is per user")

                let keys = try await client.send(.get, "/api/auth/api-keys", key: other).items
                let revoked = try #require(keys.first { $0["name"] as? String == "test" }?["id"] as? String)
                #expect(try await client.send(.delete, "/api/auth/api-keys/\(revoked)", key: other).status == .noContent)
                #expect(hub.openStreams == 0, "revocation closes the streams, and frees their slots, at once")
                try await SSEClient.open(port: port, Self.stream, headers: [("x-api-key", other)]) { sse in
                    #expect(sse.head.status == .ok)
                }
                release.set()
                try await group.waitForAll()
            }
        }
    }
}
