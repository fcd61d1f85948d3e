/// Decides which address a request comes from.
///
/// The client is the socket peer, unless the peer is one of the configured trusted proxies. Then the
/// `X-Forwarded-For` entries (every such header, in order, joined) are read from the right, the end the
/// proxies append to, and the first address that is not itself a trusted proxy is the client: entries
/// further left were written by the client and prove nothing. The rules in detail:
///
/// - No trusted proxies configured: no header is believed, ever.
/// - A peer outside the trusted list: its header is ignored (anyone can send one).
/// - No header, or an entry that is not an address (met before the client is found): the peer.
/// - Every entry a trusted proxy: the leftmost entry, the furthest hop the trusted chain saw.
///
/// Entries may carry a port (`192.0.2.1:5000`, `[2001:db8::1]:443`), which is dropped.
public struct ClientIPResolver: Sendable {
    /// Proxies whose `X-Forwarded-For` is believed.
    public let trustedProxies: [IPNetwork]

    /// A resolver believing the headers of peers inside `trustedProxies`.
    public init(trustedProxies: [IPNetwork]) {
        self.trustedProxies = trustedProxies
    }

    /// The client's address, given the socket peer and the values of every `X-Forwarded-For` header.
    public func clientAddress(peer: IPAddress, forwardedFor headerValues: some Sequence<some StringProtocol>) -> IPAddress {
        guard !trustedProxies.isEmpty, trustedProxies.containsAddress(peer) else { return peer }
        let values = Array(headerValues)
        var leftmost: IPAddress?
        for value in values.reversed() {
            let entries = value.split(separator: ",", omittingEmptySubsequences: false)
            for entry in entries.reversed() {
                guard let address = Self.forwardedAddress(entry) else { return peer }
                guard trustedProxies.containsAddress(address) else { return address }
                leftmost = address
            }
        }
        return leftmost ?? peer
    }

    /// One `X-Forwarded-For` entry as an address: bare, bracketed IPv6 with or without port, IPv4 with port.
    static func forwardedAddress(_ entry: some StringProtocol) -> IPAddress? {
        let text = entry.trimmingBlanks()
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || isPortSuffix(rest) else { return nil }
            return IPAddress(text[text.index(after: text.startIndex)..<close])
        }
        if let colon = text.firstIndex(of: ":"), text.contains("."), isPortSuffix(text[colon...]) {
            return IPAddress(text[..<colon])
        }
        return IPAddress(text)
    }

    /// `:` followed by a port number (1–5 decimal digits, at most 65535).
    private static func isPortSuffix(_ text: some StringProtocol) -> Bool {
        guard text.first == ":" else { return false }
        let digits = text.dropFirst()
        guard (1...5).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(digits) else {
            return false
        }
        return port <= 65535
    }
}
