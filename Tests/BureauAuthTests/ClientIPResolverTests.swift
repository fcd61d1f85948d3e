import Testing

@testable import BureauAuth

@Suite("Client address resolution")
struct ClientIPResolverTests {
    private func address(_ text: String) throws -> IPAddress {
        try #require(IPAddress(text))
    }

    private func resolver(_ trusted: String...) throws -> ClientIPResolver {
        ClientIPResolver(trustedProxies: try trusted.map { try #require(IPNetwork($0)) })
    }

    @Test("with no trusted proxy, every header is ignored")
    func noTrustedProxies() throws {
        let peer = try address("10.0.0.1")
        #expect(try resolver().clientAddress(peer: peer, forwardedFor: ["203.0.113.9"]) == peer)
    }

    @Test("a spoofed X-Forwarded-For from an untrusted peer is ignored")
    func spoofFromUntrustedPeer() throws {
        let peer = try address("198.51.100.20")
        let resolved = try resolver("10.0.0.0/8").clientAddress(peer: peer, forwardedFor: ["203.0.113.9, 10.0.0.5"])
        #expect(resolved == peer)
    }

    @Test("behind one trusted proxy, the rightmost entry is the client")
    func oneProxy() throws {
        let resolved = try resolver("10.0.0.0/8").clientAddress(peer: try address("10.0.0.2"), forwardedFor: ["203.0.113.9"])
        #expect(resolved == (try address("203.0.113.9")))
    }

    @Test("what the client wrote to the left of its real address is not believed")
    func clientWrittenEntries() throws {
        let resolved = try resolver("10.0.0.0/8")
            .clientAddress(peer: try address("10.0.0.2"), forwardedFor: ["1.1.1.1, 10.9.9.9, 198.51.100.7"])
        #expect(resolved == (try address("198.51.100.7")))
    }

    @Test("a chain of trusted proxies is walked from the right, across all headers")
    func multipleProxies() throws {
        let resolver = try resolver("10.0.0.0/8", "192.168.0.0/16", "2001:db8:ffff::/48")
        let peer = try address("10.0.0.2")
        #expect(resolver.clientAddress(peer: peer, forwardedFor: ["203.0.113.9, 192.168.1.1", "10.1.1.1"]) == (try address("203.0.113.9")))
        #expect(resolver.clientAddress(peer: peer, forwardedFor: ["2001:db8::7, 2001:db8:ffff::1"]) == (try address("2001:db8::7")))
    }

    @Test("when every entry is a trusted proxy, the furthest hop is the client")
    func allTrusted() throws {
        let resolved = try resolver("10.0.0.0/8").clientAddress(peer: try address("10.0.0.2"), forwardedFor: ["10.3.3.3, 10.4.4.4"])
        #expect(resolved == (try address("10.3.3.3")))
    }

    @Test(
        "garbage falls back to the peer",
        arguments: [
            ["unknown"], ["203.0.113.9, garbage"], [""], ["203.0.113.9,"], ["203.0.113.9", "not-an-ip"], ["[::1"], ["1.2.3.4:99999"],
            ["203.0.113.9 10.0.0.3"],
        ]
    )
    func garbage(headers: [String]) throws {
        let peer = try address("10.0.0.2")
        #expect(try resolver("10.0.0.0/8").clientAddress(peer: peer, forwardedFor: headers) == peer)
    }

    @Test("no header at all: the peer")
    func noHeader() throws {
        let peer = try address("10.0.0.2")
        #expect(try resolver("10.0.0.0/8").clientAddress(peer: peer, forwardedFor: [String]()) == peer)
    }

    @Test("garbage left of the client does not matter")
    func garbageLeftOfClient() throws {
        let resolved = try resolver("10.0.0.0/8").clientAddress(peer: try address("10.0.0.2"), forwardedFor: ["nonsense, 203.0.113.9"])
        #expect(resolved == (try address("203.0.113.9")))
    }

    @Test("ports and brackets are dropped; IPv6 clients are found")
    func portsAndIPv6() throws {
        let resolver = try resolver("10.0.0.0/8", "::1")
        #expect(resolver.clientAddress(peer: try address("10.0.0.2"), forwardedFor: ["203.0.113.9:5123"]) == (try address("203.0.113.9")))
        #expect(resolver.clientAddress(peer: try address("::1"), forwardedFor: ["[2001:db8::5]:443"]) == (try address("2001:db8::5")))
        #expect(resolver.clientAddress(peer: try address("::1"), forwardedFor: [" 2001:db8::5 "]) == (try address("2001:db8::5")))
        #expect(resolver.clientAddress(peer: try address("::1"), forwardedFor: ["::ffff:203.0.113.9"]) == (try address("203.0.113.9")))
    }

    @Test("an IPv4-mapped peer counts as its IPv4 address for the trusted list")
    func mappedPeer() throws {
        let resolved = try resolver("10.0.0.0/8").clientAddress(peer: try address("::ffff:10.0.0.2"), forwardedFor: ["203.0.113.9"])
        #expect(resolved == (try address("203.0.113.9")))
    }
}
