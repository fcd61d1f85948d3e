import BureauAuth
import BureauStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Testing

@testable import BureauServer

@Suite("Activity stream tickets")
struct StreamTicketTests {
    static let stream = "/api/mission-control/activity/stream"
    static let tickets = "/api/mission-control/activity/tickets"

    @Test("a ticket: 64 hex digits, valid 60 s, shown once; it opens the stream for its credential, once")
    func ticketOpensTheStreamOnce() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let (user, key) = try await harness.account("ada@example.com")
        let reader = try await harness.services.operations.createAPIKey(NewAPIKey(name: "r", scope: "read"), by: .operator(user)).plaintext
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let issued = try await client.send(.post, Self.tickets, key: reader)
            #expect(issued.status == .created, "a read key may make a ticket: it changes nothing")
            #expect(issued.headers[.cacheControl] == "no-store")
            let ticket = try #require(issued.object["ticket"] as? String)
            #expect(ticket.count == 64 && ticket.allSatisfy(\.isHexDigit))
            #expect(issued.object["expiresAt"] as? String == time.later(milliseconds: 60_000))
            #expect(harness.services.gate.tickets.count == 1)

            try await SSEClient.open(port: port, Self.stream + "?ticket=\(ticket)") { (sse: inout SSEConnection) async throws in
                #expect(sse.head.status == .ok)
                #expect(try await sse.next()?.retry != nil)
                try await client.send(.post, "/api/desktops", key: key, json: #"{"name": "seen through the ticket"}"#)
                #expect(try await sse.nextEvent()?.event == "desktop.created")
            }
            #expect(harness.services.gate.tickets.count == 0, "only its digest was kept, and it is gone once used")
            let reused = try await client.send(.get, Self.stream + "?ticket=\(ticket)")
            #expect(reused.status == .unauthorized)
            #expect(reused.code == "unauthenticated")
            // Anywhere but the stream the parameter is not read.
            let elsewhere = try await client.send(.post, Self.tickets, key: key)
            let other = try #require(elsewhere.object["ticket"] as? String)
            #expect(try await client.send(.get, "/api/desktops?ticket=\(other)").status == .unauthorized)
        }
    }

    @Test("an expired ticket is refused (injected clock), and so is one of a key revoked since")
    func expiredAndRevoked() async throws {
        let time = SettableTime()
        let harness = TestHarness(now: { time.now })
        let (user, key) = try await harness.account("ada@example.com")
        let doomed = try await harness.services.operations.createAPIKey(NewAPIKey(name: "doomed"), by: .operator(user))
        try await harness.application.test(.router) { client in
            let stale = try #require(try await client.send(.post, Self.tickets, key: key).object["ticket"] as? String)
            time.advance(milliseconds: 60_000)
            #expect(try await client.send(.get, Self.stream + "?ticket=\(stale)").status == .unauthorized)

            let orphan = try #require(try await client.send(.post, Self.tickets, key: doomed.plaintext).object["ticket"] as? String)
            try await harness.services.operations.revokeAPIKey(doomed.record.id.description, by: .operator(user))
            let refused = try await client.send(.get, Self.stream + "?ticket=\(orphan)")
            #expect(refused.status == .unauthorized)
            #expect(harness.services.activity.openStreams == 0)
            // A revoked key cannot make one either.
            #expect(try await client.send(.post, Self.tickets, key: doomed.plaintext).status == .unauthorized)
            #expect(try await client.send(.get, Self.stream + "?ticket=not-a-ticket").status == .unauthorized)
        }
    }

    @Test("a stream opened with a ticket closes when the key that made the ticket is revoked")
    func streamTiedToTheKey() async throws {
        let harness = TestHarness()
        let (user, key) = try await harness.account("ada@example.com")
        let maker = try await harness.services.operations.createAPIKey(NewAPIKey(name: "maker"), by: .operator(user))
        try await harness.application.test(.live) { client in
            let port = try #require(client.port)
            let ticket = try #require(try await client.send(.post, Self.tickets, key: maker.plaintext).object["ticket"] as? String)
            try await SSEClient.open(port: port, Self.stream + "?ticket=\(ticket)") { (sse: inout SSEConnection) async throws in
                #expect(try await sse.next()?.retry != nil)
                let revoked = try await client.send(.delete, "/api/auth/api-keys/\(maker.record.id)", key: key)
                #expect(revoked.status == .noContent)
                // The revocation's own event may come first; then the stream ends.
                while let block = try await sse.next() {
                    #expect(block.event == "api_key.revoked" || block.comment != nil, "\(block)")
                }
            }
            #expect(harness.services.activity.openStreams == 0)
        }
    }

    @Test("tickets are bounded per user and server-wide; expired ones make room; ?ticket= is redacted from logs")
    func bounded() {
        let tickets = StreamTickets(capacity: 3, perUser: 2)
        let start = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        let ada = Principal(userID: .random(), credential: .apiKey(.random()))
        let bob = Principal(userID: .random(), credential: .apiKey(.random()))
        let eve = Principal(userID: .random(), credential: .apiKey(.random()))
        guard case .issued(let first, _) = tickets.issue(for: ada, at: start) else {
            Issue.record("no first ticket")
            return
        }
        #expect(tickets.issue(for: ada, at: start) != .full)
        #expect(tickets.issue(for: ada, at: start) == .full, "two per user")
        #expect(tickets.issue(for: bob, at: start) != .full)
        #expect(tickets.issue(for: eve, at: start) == .full, "three in all")
        #expect(tickets.redeem(first, at: start) == ada)
        #expect(tickets.redeem(first, at: start) == nil, "single use")
        #expect(tickets.issue(for: eve, at: start) != .full, "a used ticket frees its slot")
        let later = start.adding(milliseconds: StreamTickets.lifetimeMilliseconds)
        #expect(tickets.issue(for: ada, at: later) != .full, "expired tickets are dropped to make room")
        #expect(tickets.count <= 3)

        let logged = LoggedTarget.redacted(Self.stream + "?ticket=0123456789abcdef&lastEventId=4")
        #expect(logged == Self.stream + "?ticket=REDACTED&lastEventId=4")
    }
}
