import BureauAuth
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import BureauServer

/// An accepted connection from `address`, its pipeline starting with the per-client cap.
private func connection(
    from address: String,
    counting connections: ClientConnections,
    departure: ClientDeparture = ClientDeparture()
)
    throws -> EmbeddedChannel
{
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(
        ClientConnectionHandler(connections: connections, departure: departure, logger: Logger(label: "test"))
    )
    // An embedded channel's remote address is the one it "connects" to: here, the client's.
    try channel.connect(to: SocketAddress(ipAddress: address, port: 50_000)).wait()
    return channel
}

@Suite("Connections per client: counted by socket peer, an IPv6 client as its /64")
struct ClientConnectionsTests {
    @Test("the connection over the cap is closed at once, other clients unaffected; the count falls as connections close")
    func capPerClient() throws {
        let connections = ClientConnections(limitPerClient: 3)
        let admitted = try (0..<3).map { _ in try connection(from: "192.0.2.7", counting: connections) }
        #expect(admitted.allSatisfy { $0.isActive })
        #expect(connections.count(of: .v4(0xC000_0207)) == 3)

        let refused = try connection(from: "192.0.2.7", counting: connections)
        #expect(!refused.isActive, "closed as soon as it was accepted")
        #expect(connections.count(of: .v4(0xC000_0207)) == 3, "a refused connection is not counted")
        // Another client is not affected.
        let other = try connection(from: "192.0.2.8", counting: connections)
        #expect(other.isActive)

        _ = try admitted[0].close().wait()
        #expect(connections.count(of: .v4(0xC000_0207)) == 2)
        let again = try connection(from: "192.0.2.7", counting: connections)
        #expect(again.isActive)
        for channel in admitted.dropFirst() + [again, other] { _ = try channel.close().wait() }
        #expect(connections.total == 0 && connections.clients == 0, "clients without connections are forgotten")
    }

    @Test("IPv6 addresses of one /64 share a count; another /64 and IPv4-mapped addresses count apart")
    func ipv6CountsPerSlash64() throws {
        let connections = ClientConnections(limitPerClient: 2)
        let first = try connection(from: "2001:db8:1:2::1", counting: connections)
        let second = try connection(from: "2001:db8:1:2:ffff::9", counting: connections)
        let third = try connection(from: "2001:db8:1:2:abcd::5", counting: connections)
        #expect(first.isActive && second.isActive)
        #expect(!third.isActive, "a third address of the same /64 is the same client")
        #expect(try connection(from: "2001:db8:1:3::1", counting: connections).isActive, "the next /64 is another client")
        // An IPv4 client reaching a dual-stack socket counts as its IPv4 address.
        #expect(try connection(from: "::ffff:192.0.2.9", counting: connections).isActive)
        #expect(try connection(from: "192.0.2.9", counting: connections).isActive)
        #expect(!(try connection(from: "::ffff:192.0.2.9", counting: connections).isActive))
    }

    @Test("0 means no cap")
    func noCap() throws {
        let connections = ClientConnections(limitPerClient: 0)
        let channels = try (0..<300).map { _ in try connection(from: "192.0.2.7", counting: connections) }
        #expect(channels.allSatisfy { $0.isActive })
    }

    @Test("concurrent admissions never exceed the cap")
    func concurrentAdmissions() async {
        let connections = ClientConnections(limitPerClient: 16)
        let client = ClientKey(.v4(0xC000_0207))
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 { group.addTask { connections.admit(client) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 16)
        #expect(connections.count(of: .v4(0xC000_0207)) == 16)
    }

    @Test("a client that closes its side, or the whole connection, is gone for the stream it opened")
    func departure() throws {
        let connections = ClientConnections(limitPerClient: 4)
        for ending in ["input closed", "closed"] {
            let departure = ClientDeparture()
            let channel = try connection(from: "192.0.2.7", counting: connections, departure: departure)
            let gone = Mutex(0)
            departure.whenGone { gone.withLock { $0 += 1 } }
            #expect(gone.withLock { $0 } == 0)
            if ending == "closed" {
                _ = try channel.close().wait()
            } else {
                channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
            #expect(gone.withLock { $0 } == 1, "\(ending)")
            // Once gone, a new watcher runs at once; a forgotten one never runs.
            departure.whenGone { gone.withLock { $0 += 1 } }
            #expect(gone.withLock { $0 } == 2, "\(ending)")
        }
        let departure = ClientDeparture()
        let channel = try connection(from: "192.0.2.7", counting: connections, departure: departure)
        let ran = Mutex(false)
        departure.whenGone { ran.withLock { $0 = true } }
        departure.forget()
        _ = try channel.close().wait()
        #expect(!ran.withLock { $0 })
    }
}
