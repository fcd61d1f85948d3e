import BureauAuth
import NIOCore
import Testing

@testable import BureauServer

@Suite("Client address from a socket")
struct ClientAddressTests {
    @Test(
        "reading the socket structure gives the same address as parsing its text",
        arguments: [
            "127.0.0.1", "10.1.2.3", "255.255.255.254", "::1", "2001:db8::8a2e:370:7334", "fe80::1", "::ffff:192.0.2.1",
        ]
    )
    func matchesText(text: String) throws {
        let socket = try SocketAddress(ipAddress: text, port: 8080)
        #expect(IPAddress(socketAddress: socket) == IPAddress(text))
        #expect(IPAddress(socketAddress: socket) != nil)
    }

    @Test("an IPv4-mapped IPv6 peer is its IPv4 address")
    func mapped() throws {
        let socket = try SocketAddress(ipAddress: "::ffff:192.0.2.1", port: 1)
        #expect(IPAddress(socketAddress: socket) == IPAddress("192.0.2.1"))
    }
}
