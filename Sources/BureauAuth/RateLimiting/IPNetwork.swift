/// A block of addresses in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, or a single address (`192.0.2.7`,
/// `::1`), which is its own /32 or /128. Used for trusted proxies and exempt clients.
public struct IPNetwork: Hashable, Sendable {
    /// The first address of the block (bits after the prefix are zero).
    public let address: IPAddress
    /// How many leading bits every member shares with `address`.
    public let prefixLength: Int

    /// The block of `prefixLength` bits starting at `address` (host bits are cleared). `nil` when the length
    /// does not fit the family (more than 32 for IPv4, 128 for IPv6, or negative).
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bitWidth).contains(prefixLength) else { return nil }
        self.address = address.masked(toPrefixLength: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/LENGTH` or a bare address. Surrounding spaces are ignored; `nil` for anything else.
    /// Host bits set after the prefix (`10.1.2.3/8`) are accepted and cleared, as most tools do.
    /// An IPv4-mapped IPv6 block (`::ffff:10.0.0.0/104`) becomes the IPv4 block it covers (`10.0.0.0/8`).
    public init?(_ text: some StringProtocol) {
        let parts = text.trimmingBlanks().split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        guard parts.count == 2 else {
            self.init(address: address, prefixLength: address.bitWidth)
            return
        }
        let lengthText = parts[1]
        guard (1...3).contains(lengthText.count), lengthText.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(lengthText) else {
            return nil
        }
        let writtenAsIPv6 = first.contains(":")
        if case .v4 = address, writtenAsIPv6 {
            // An IPv4-mapped block: the first 96 bits are the mapping prefix, the rest select IPv4 addresses.
            guard (96...128).contains(length) else { return nil }
            self.init(address: address, prefixLength: length - 96)
        } else {
            self.init(address: address, prefixLength: length)
        }
    }

    /// Whether `candidate` is inside this block. Addresses of the other family never are.
    public func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4, .v4), (.v6, .v6):
            return candidate.masked(toPrefixLength: prefixLength) == address
        default:
            return false
        }
    }
}

extension IPNetwork: CustomStringConvertible {
    /// `ADDRESS/LENGTH`, always with the length.
    public var description: String { "\(address)/\(prefixLength)" }
}

extension Sequence<IPNetwork> {
    /// Whether any block of the list contains `address`.
    public func containsAddress(_ address: IPAddress) -> Bool {
        contains { $0.contains(address) }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingBlanks() -> SubSequence {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
