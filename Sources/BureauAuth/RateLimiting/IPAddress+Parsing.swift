import BureauStore

extension IPAddress {
    /// Parses an address in its textual form: IPv4 dotted decimal (`192.0.2.1`, exactly four decimal parts,
    /// no leading zeros, which some parsers read as octal) or IPv6 (`2001:db8::1`, `::ffff:192.0.2.1`).
    /// `nil` for anything else, including zone ids (`fe80::1%eth0`), brackets and ports.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        if bytes.contains(UInt8(ascii: ":")) {
            guard let (high, low) = Self.parseIPv6(bytes[...]) else { return nil }
            self = Self.normalized(high: high, low: low)
        } else {
            guard let value = Self.parseIPv4(bytes[...]) else { return nil }
            self = .v4(value)
        }
    }

    /// Dotted decimal: four parts of 1–3 digits, each at most 255, `0` the only part starting with `0`.
    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDecimalDigit) else { return nil }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }
            let number = part.reduce(0) { $0 * 10 + UInt32($1 - UInt8(ascii: "0")) }
            guard number <= 255 else { return nil }
            value = value << 8 | number
        }
        return value
    }

    /// Colon-separated groups of 1–4 hex digits, at most one `::` standing for one or more zero groups,
    /// and optionally a dotted IPv4 address as the last 32 bits.
    static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> (UInt64, UInt64)? {
        let colon = UInt8(ascii: ":")
        var compression: Range<Int>?
        var index = bytes.startIndex
        while index < bytes.endIndex - 1 {
            if bytes[index] == colon, bytes[index + 1] == colon {
                guard compression == nil else { return nil }
                compression = index..<(index + 2)
                index += 2
            } else {
                index += 1
            }
        }
        let head: [UInt16]
        let tail: [UInt16]
        if let compression {
            guard let parsedHead = parseGroups(bytes[..<compression.lowerBound], mayEndWithIPv4: false),
                let parsedTail = parseGroups(bytes[compression.upperBound...], mayEndWithIPv4: true),
                parsedHead.count + parsedTail.count <= 7
            else { return nil }
            head = parsedHead
            tail = parsedTail
        } else {
            guard let groups = parseGroups(bytes, mayEndWithIPv4: true), groups.count == 8 else { return nil }
            head = groups
            tail = []
        }
        let groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    /// The groups of one side of `::` (or of a whole uncompressed address). An empty side has no groups.
    private static func parseGroups(_ bytes: ArraySlice<UInt8>, mayEndWithIPv4: Bool) -> [UInt16]? {
        guard !bytes.isEmpty else { return [] }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        groups.reserveCapacity(parts.count + 1)
        for (position, part) in parts.enumerated() {
            if mayEndWithIPv4, position == parts.count - 1, part.contains(UInt8(ascii: ".")) {
                guard let value = parseIPv4(part) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: value >> 16))
                groups.append(UInt16(truncatingIfNeeded: value))
                continue
            }
            guard (1...4).contains(part.count) else { return nil }
            var group: UInt16 = 0
            for byte in part {
                guard let digit = HexDigit.value(byte) else { return nil }
                group = group << 4 | UInt16(digit)
            }
            groups.append(group)
        }
        return groups
    }

    private static func isDecimalDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

}
