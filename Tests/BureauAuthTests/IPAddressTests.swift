import Testing

@testable import BureauAuth

@Suite("IP addresses, networks and client keys")
struct IPAddressTests {
    @Test(
        "valid addresses parse and print canonically",
        arguments: [
            ("192.0.2.1", "192.0.2.1"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("::1", "::1"),
            ("::", "::"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("fe80::", "fe80::"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
            ("::ffff:192.0.2.1", "192.0.2.1"),
            ("::FFFF:c000:0201", "192.0.2.1"),
        ]
    )
    func parsesValid(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test("every IPv4 address prints as its four octets in decimal, whatever their widths")
    func v4Text() {
        var values: [UInt32] = [0, 1, 9, 10, 99, 100, 255, 256, 0x0A00_0001, 0x7F00_0001, 0xC0A8_6401, 0xFFFF_FFFF, 0x6464_6464, 0x0909_0909]
        var generator = SystemRandomNumberGenerator()
        values += (0..<2_000).map { _ in UInt32.random(in: .min ... .max, using: &generator) }
        for value in values {
            let expected = [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
            #expect(IPAddress.v4(value).description == expected)
            #expect(IPAddress(expected) == .v4(value))
        }
    }

    @Test(
        "anything else is refused",
        arguments: [
            "", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", "a.b.c.d", "1..2.3",
            ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8",
            "g::1", "fe80::1%eth0", "[::1]", "::1.2.3", "1.2.3.4::", "::1:", ":1::", "unknown", "+1.2.3.4",
        ]
    )
    func refusesInvalid(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("masking keeps the prefix and clears the rest")
    func masking() throws {
        let address = try #require(IPAddress("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"))
        #expect(address.masked(toPrefixLength: 64).description == "2001:db8:aaaa:bbbb::")
        #expect(address.masked(toPrefixLength: 72).description == "2001:db8:aaaa:bbbb:cc00::")
        #expect(address.masked(toPrefixLength: 0).description == "::")
        #expect(address.masked(toPrefixLength: 128) == address)
        #expect(try #require(IPAddress("192.0.2.77")).masked(toPrefixLength: 24).description == "192.0.2.0")
        #expect(try #require(IPAddress("192.0.2.77")).masked(toPrefixLength: 0).description == "0.0.0.0")
    }

    @Test(
        "CIDR blocks parse, with or without a length",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("192.0.2.7", "192.0.2.7/32"),
            (" 0.0.0.0/0 ", "0.0.0.0/0"),
            ("::1/128", "::1/128"),
            ("::1", "::1/128"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
        ]
    )
    func parsesNetworks(text: String, canonical: String) throws {
        #expect(try #require(IPNetwork(text)).description == canonical)
    }

    @Test(
        "malformed CIDR blocks are refused",
        arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "/8", "x/8", "::ffff:0:0/95", "10.0.0.0/8/8"]
    )
    func refusesNetworks(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test("membership follows the prefix and never crosses families")
    func membership() throws {
        let private10 = try #require(IPNetwork("10.0.0.0/8"))
        #expect(private10.contains(try #require(IPAddress("10.255.0.1"))))
        #expect(!private10.contains(try #require(IPAddress("11.0.0.1"))))
        #expect(!private10.contains(try #require(IPAddress("::a00:1"))))
        let documentation = try #require(IPNetwork("2001:db8::/32"))
        #expect(documentation.contains(try #require(IPAddress("2001:db8:ffff::1"))))
        #expect(!documentation.contains(try #require(IPAddress("2001:db9::1"))))
        let everything = try #require(IPNetwork("0.0.0.0/0"))
        #expect(everything.contains(try #require(IPAddress("203.0.113.9"))))
        #expect(everything.contains(try #require(IPAddress("::ffff:203.0.113.9"))))
    }

    @Test("an IPv6 client is its /64; an IPv4 client is its address")
    func clientKeys() throws {
        let first = ClientKey(try #require(IPAddress("2001:db8:1:2::1")))
        let second = ClientKey(try #require(IPAddress("2001:db8:1:2:ffff:ffff:ffff:ffff")))
        let neighbour = ClientKey(try #require(IPAddress("2001:db8:1:3::1")))
        #expect(first == second)
        #expect(first != neighbour)
        #expect(first.description == "2001:db8:1:2::/64")
        let v4 = ClientKey(try #require(IPAddress("192.0.2.1")))
        #expect(v4 != ClientKey(try #require(IPAddress("192.0.2.2"))))
        #expect(v4.description == "192.0.2.1")
    }
}
