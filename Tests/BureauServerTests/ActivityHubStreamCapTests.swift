import BureauStore
import Hummingbird
import Synchronization
import Testing

@testable import BureauServer

@Suite("ActivityHub: at most stream.max_streams_per_user open streams per user")
struct ActivityHubStreamCapTests {
    @Test("one more than the cap is refused; other users are not affected; closing one frees its slot")
    func capPerUser() throws {
        let hub = ActivityHub(bufferLimit: 8, maxStreamsPerUser: 3)
        let ada = UserID.random()
        let opened = try (0..<3).map { _ in try hub.openSubscription(userID: ada, method: .session(.random())).get() }
        #expect(hub.openSubscription(userID: ada, method: .session(.random())).refusal == .tooManyStreams(limit: 3))
        #expect(hub.openSubscription(userID: UserID.random(), method: .session(.random())).refusal == nil)
        opened[1].close(.clientGone)
        let again = hub.openSubscription(userID: ada, method: .session(.random()))
        #expect(again.refusal == nil)
        #expect(hub.openSubscription(userID: ada, method: .session(.random())).refusal == .tooManyStreams(limit: 3))
        hub.shutDown()
        #expect(hub.openStreams == 0)
        #expect(hub.openSubscription(userID: ada, method: .session(.random())).refusal == .shuttingDown)
    }

    @Test("every way a stream ends frees its slot: revocation, logout, falling behind, a response never written")
    func everyEndFreesItsSlot() throws {
        let hub = ActivityHub(bufferLimit: 1, maxStreamsPerUser: 1)
        let ada = UserID.random()
        let key = APIKeyID.random()
        _ = try hub.openSubscription(userID: ada, method: .apiKey(key)).get()
        hub.closeStreams(authenticatedBy: .apiKey(key))
        let session = SessionID.random()
        _ = try hub.openSubscription(userID: ada, method: .session(session)).get()
        hub.closeStreams(authenticatedBy: .session(session))
        _ = try hub.openSubscription(userID: ada, method: .session(.random())).get()
        hub.heartbeat()
        hub.heartbeat()  // the second does not fit: the reader fell behind
        do {
            // A stream response dropped before its body ran (its connection failed first) releases its lease.
            let lease = SubscriptionLease(try hub.openSubscription(userID: ada, method: .session(.random())).get())
            var response: Response? = Response(status: .ok, body: ResponseBody { _ in _ = lease })
            #expect(hub.openStreams == 1)
            response = nil
            _ = response
        }
        #expect(hub.openStreams == 0)
        #expect(hub.openSubscription(userID: ada, method: .session(.random())).refusal == nil)
    }

    @Test("concurrent opens never exceed the cap")
    func concurrentOpens() async throws {
        let hub = ActivityHub(bufferLimit: 8, maxStreamsPerUser: 16)
        let ada = UserID.random()
        let opened = await withTaskGroup(of: ActivitySubscription?.self) { group in
            for _ in 0..<200 { group.addTask { try? hub.openSubscription(userID: ada, method: .session(.random())).get() } }
            return await group.reduce(into: [ActivitySubscription]()) { if let subscription = $1 { $0.append(subscription) } }
        }
        #expect(opened.count == 16)
        #expect(hub.openStreams == 16)
        hub.shutDown()
    }

    @Test("a stream closed while it is being opened (a revocation racing the open) still frees its slot")
    func closedWhileOpening() async throws {
        let hub = ActivityHub(bufferLimit: 8, maxStreamsPerUser: 4)
        let ada = UserID.random()
        let key = APIKeyID.random()
        for _ in 0..<500 {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<4 { _ = hub.openSubscription(userID: ada, method: .apiKey(key)) }
                }
                group.addTask {
                    for _ in 0..<8 { hub.closeStreams(authenticatedBy: .apiKey(key)) }
                }
            }
            hub.closeStreams(authenticatedBy: .apiKey(key))
            #expect(hub.openStreams == 0)
            if hub.openStreams != 0 { break }
        }
    }
}

extension Result<ActivitySubscription, SubscriptionRefusal> {
    /// Why the open was refused, or `nil` if it succeeded.
    fileprivate var refusal: SubscriptionRefusal? {
        if case .failure(let refusal) = self { return refusal }
        return nil
    }
}
