import BureauAuth
import BureauServer
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Testing

@Suite("The activity stream of a session cookie, through real sockets")
struct SessionStreamLiveTests {
    static let stream = "/api/mission-control/activity/stream"

    @Test("a stream authenticated by the session cookie receives events, and logout closes it at once")
    func cookieStreamClosedByLogout() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.live) { client in
            let port = try #require(client.port)
            let doomedCookie = try await session.signIn(client)
            let otherCookie = try await session.signIn(client)
            try await SSEClient.open(port: port, Self.stream, headers: [("Cookie", doomedCookie)], timeout: .seconds(30)) { doomed in
                try await SSEClient.open(port: port, Self.stream, headers: [("Cookie", otherCookie)]) { survivor in
                    #expect(doomed.head.status == .ok)
                    #expect(try await doomed.next()?.retry != nil)
                    #expect(try await survivor.next()?.retry != nil)
                    let created = try await client.send(.post, "/api/desktops", cookie: doomedCookie, json: #"{"name": "Box"}"#)
                    #expect(created.status == .created)
                    let event = try #require(try await doomed.nextEvent())
                    #expect(event.event == "desktop.created")
                    #expect(try #require(try await survivor.nextEvent()).event == "desktop.created", "same user, other session")

                    let start = ContinuousClock.now
                    #expect(try await client.send(.post, "/api/auth/logout", cookie: doomedCookie).status == .noContent)
                    while try await doomed.next() != nil {}
                    #expect(ContinuousClock.now - start < .seconds(15), "closed at once, not by the test's timeout")
                    try await client.send(.post, "/api/desktops", cookie: otherCookie, json: #"{"name": "Still here"}"#)
                    #expect(try #require(try await survivor.nextEvent()).event == "desktop.created", "the other session's stream lives on")
                }
            }
            let reopened = try await client.send(.get, Self.stream, cookie: doomedCookie)
            #expect(reopened.status == .unauthorized)
        }
        #expect(session.services.activity.openStreams == 0)
    }

    @Test("pruning an expired session closes its streams")
    func pruneClosesStream() async throws {
        let session = SessionHarness()
        try await session.harness.application.test(.live) { client in
            let port = try #require(client.port)
            let cookie = try await session.signIn(client)
            try await SSEClient.open(port: port, Self.stream, headers: [("Cookie", cookie)], timeout: .seconds(30)) { stream in
                #expect(try await stream.next()?.retry != nil)
                session.clock.advance(by: .seconds(86_400))
                let start = ContinuousClock.now
                #expect(try await session.services.sessions.flushAndPrune().count == 1)
                while try await stream.next() != nil {}
                #expect(ContinuousClock.now - start < .seconds(15))
            }
        }
        #expect(session.services.activity.openStreams == 0)
    }
}
