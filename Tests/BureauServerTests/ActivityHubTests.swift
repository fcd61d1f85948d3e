import BureauStore
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import BureauServer

@Suite("ActivityHub")
struct ActivityHubTests {
    private func desktopEvent(sequence: UInt64, of user: UserID) -> CommittedMutation {
        let t0 = Timestamp(millisecondsSinceEpoch: 1_795_341_600_000)
        let desktop = Desktop(id: .random(), ownerID: user, name: "d", status: .running, createdAt: t0, updatedAt: t0, ordinal: sequence)
        let event = ActivityEvent(id: ActivityEventID(sequence: sequence), kind: .desktopCreated, at: t0, userID: user, subject: .desktop(desktop))
        return CommittedMutation(sequence: sequence, mutation: .desktopCreated(desktop), events: [event])
    }

    private func drain(_ subscription: ActivitySubscription) async -> [String] {
        var seen: [String] = []
        for await signal in subscription.signals {
            switch signal {
            case .event(let id, _): seen.append(id.description)
            case .heartbeat: seen.append("heartbeat")
            }
        }
        return seen
    }

    @Test("events reach the streams of their user only, in order, with heartbeats between")
    func fanOut() async throws {
        let hub = ActivityHub(bufferLimit: 16)
        let ada = UserID.random()
        let bob = UserID.random()
        let adaStream = try #require(hub.subscribe(userID: ada, method: .session(.random())))
        let bobStream = try #require(hub.subscribe(userID: bob, method: .session(.random())))
        hub.publish(desktopEvent(sequence: 1, of: ada))
        hub.markDurable(through: 1)
        hub.heartbeat()
        hub.publish(desktopEvent(sequence: 2, of: bob))
        hub.publish(desktopEvent(sequence: 3, of: ada))
        // Durability notices can come out of order; a later one covers the earlier.
        hub.markDurable(through: 3)
        hub.markDurable(through: 2)
        #expect(hub.openStreams == 2)
        hub.shutDown()
        #expect(await drain(adaStream) == ["1", "heartbeat", "3"])
        #expect(await drain(bobStream) == ["heartbeat", "2"])
        #expect(adaStream.closeReason == .shuttingDown)
        #expect(hub.openStreams == 0)
        #expect(hub.subscribe(userID: ada, method: .session(.random())) == nil, "no new streams after shutdown")
    }

    @Test("a stream whose buffer is full is closed and dropped; the others keep receiving")
    func overflowCloses() async throws {
        let hub = ActivityHub(bufferLimit: 3)
        let ada = UserID.random()
        let slow = try #require(hub.subscribe(userID: ada, method: .session(.random())))
        for sequence in 1...3 { hub.publish(desktopEvent(sequence: UInt64(sequence), of: ada)) }
        hub.markDurable(through: 3)
        let fast = try #require(hub.subscribe(userID: ada, method: .session(.random())))
        hub.publish(desktopEvent(sequence: 4, of: ada))
        hub.markDurable(through: 4)
        #expect(slow.closeReason == .fellBehind)
        #expect(fast.closeReason == nil)
        #expect(hub.openStreams == 1)
        #expect(await drain(slow) == ["1", "2", "3"])
        hub.publish(desktopEvent(sequence: 5, of: ada))
        hub.markDurable(through: 5)
        hub.shutDown()
        #expect(await drain(fast) == ["4", "5"])
    }

    @Test("events wait until their commit is durable, then go out in sequence order")
    func heldUntilDurable() async throws {
        let hub = ActivityHub(bufferLimit: 8)
        let ada = UserID.random()
        let stream = try #require(hub.subscribe(userID: ada, method: .session(.random())))
        hub.publish(desktopEvent(sequence: 7, of: ada))
        hub.publish(desktopEvent(sequence: 8, of: ada))
        hub.markDurable(through: 6)
        hub.heartbeat()
        hub.markDurable(through: 8)
        hub.shutDown()
        #expect(await drain(stream) == ["heartbeat", "7", "8"])
    }

    @Test("revoking a key closes the streams that key opened, not the user's other streams")
    func revocationCloses() throws {
        let hub = ActivityHub(bufferLimit: 8)
        let ada = UserID.random()
        let revoked = APIKeyID.random()
        let byKey = try #require(hub.subscribe(userID: ada, method: .apiKey(revoked)))
        let byOtherKey = try #require(hub.subscribe(userID: ada, method: .apiKey(.random())))
        let t0 = Timestamp(millisecondsSinceEpoch: 0)
        hub.publish(CommittedMutation(sequence: 9, mutation: .apiKeyRevoked(APIKeyRevocation(id: revoked, at: t0)), events: []))
        #expect(byKey.closeReason == .credentialRevoked)
        #expect(byOtherKey.closeReason == nil)
        #expect(hub.openStreams == 1)
    }
}

@Suite("Request log redaction")
struct RequestLogRedactionTests {
    @Test("the apiKey parameter's value is replaced, however its name is spelled or encoded")
    func redactsQueryKey() {
        let cases: [(String, String)] = [
            ("/s?apiKey=lb_k_abc123", "/s?apiKey=REDACTED"),
            ("/s?lastEventId=4&apiKey=secret&x=1", "/s?lastEventId=4&apiKey=REDACTED&x=1"),
            ("/s?api%4Bey=secret", "/s?api%4Bey=REDACTED"),
            ("/s?APIKEY=secret", "/s?APIKEY=REDACTED"),
            ("/s?apiKey", "/s?apiKey"),
            ("/s?other=lb_k_Abc_123%20x", "/s?other=lb_k_REDACTED"),
            ("/s?other=lb_k_Abc_123&y=2", "/s?other=lb_k_REDACTED&y=2"),
            ("/api/desktops", "/api/desktops"),
        ]
        for (raw, logged) in cases {
            #expect(LoggedTarget.redacted(raw) == logged, "\(raw)")
        }
    }
}

@Suite("The activity stream never replays what a crash could undo")
struct DurableReplayTests {
    /// A journal whose syncs wait while it is held: commits made meanwhile are applied in memory but not
    /// acknowledged, as on a slow disk (or one about to fail).
    final class HeldJournal: MutationJournal {
        private struct State {
            var held = false
            var waiting: [CheckedContinuation<Void, Never>] = []
        }
        private let state = Mutex(State())

        func append(_ mutation: Mutation, sequence: UInt64) throws {}

        func waitUntilDurable(_ sequence: UInt64) async throws {
            await withCheckedContinuation { continuation in
                let wait = state.withLock { state in
                    if state.held { state.waiting.append(continuation) }
                    return state.held
                }
                if !wait { continuation.resume() }
            }
        }

        func hold() { state.withLock { $0.held = true } }

        func release() {
            let waiting = state.withLock { state in
                state.held = false
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    @Test("a resume stops at the last durable commit; the held one arrives live once durable, exactly once")
    func resumeStopsAtDurable() async throws {
        let journal = HeldJournal()
        let harness = TestHarness(journal: journal)
        let (_, key) = try await harness.account("ada@example.com")
        let stream = ActivityStreamLiveTests.stream
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let firstID = try await SSEClient.open(port: port, stream, headers: [("x-api-key", key)]) { sse in
                try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "one"}"#)
                return try #require(try await sse.nextEvent()?.id)
            }
            journal.hold()
            let held = Task { try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "two"}"#) }
            // Wait until "two" is applied in memory (its answer waits for the sync).
            for _ in 0..<1_000_000 where harness.store.read({ $0.desktops.count }) < 2 { await Task.yield() }
            #expect(harness.store.read { $0.desktops.count } == 2)
            try await SSEClient.open(port: port, stream, headers: [("x-api-key", key), ("Last-Event-ID", firstID)]) { sse in
                #expect(try await sse.next()?.retry == "3000")
                // Nothing was replayed: the first block after `retry:` is the heartbeat queued now.
                harness.services.activity.heartbeat()
                let next = try #require(try await sse.next())
                #expect(next.comment == "keep-alive")
                #expect(next.event == nil)
                journal.release()
                _ = try await held.value
                let two = try #require(try await sse.nextEvent())
                #expect(two.event == "desktop.created")
                #expect(try ActivityStreamLiveTests.name(two) == "two")
                try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "three"}"#)
                let three = try #require(try await sse.nextEvent())
                #expect(try ActivityStreamLiveTests.name(three) == "three")
            }
        }
    }
}
