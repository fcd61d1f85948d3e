/// An IPv4 or IPv6 address, as a value: 17 bytes, hashable, no allocation.
///
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 peer) are
/// stored as the IPv4 address they carry, so one client has one identity whichever way it arrives.
public enum IPAddress: Hashable, Sendable {
    /// An IPv4 address, most significant byte first (`192.0.2.1` is `0xC000_0201`).
    case v4(UInt32)
    /// An IPv6 address as two 64-bit halves, most significant first.
    case v6(high: UInt64, low: UInt64)

    /// Number of bits in an address of this family: 32 or 128.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The address with every bit after the first `prefixLength` cleared (`prefixLength` is clamped to the family's width).
    public func masked(toPrefixLength prefixLength: Int) -> IPAddress {
        switch self {
        case .v4(let value):
            let length = min(max(prefixLength, 0), 32)
            let mask: UInt32 = length == 0 ? 0 : ~0 << (32 - length)
            return .v4(value & mask)
        case .v6(let high, let low):
            let length = min(max(prefixLength, 0), 128)
            return .v6(high: high & Self.mask64(length), low: low & Self.mask64(length - 64))
        }
    }

    /// The first `bits` bits set (0 and fewer: none; 64 and more: all).
    private static func mask64(_ bits: Int) -> UInt64 {
        if bits <= 0 { return 0 }
        if bits >= 64 { return .max }
        return ~0 << (64 - bits)
    }

    /// An IPv6 value that is IPv4-mapped (`::ffff:a.b.c.d`) becomes that IPv4 address.
    /// An IPv6 address from its two 64-bit halves (most significant first); IPv4-mapped ones become IPv4.
    public init(ipv6High high: UInt64, low: UInt64) {
        self = Self.normalized(high: high, low: low)
    }

    static func normalized(high: UInt64, low: UInt64) -> IPAddress {
        if high == 0, low >> 32 == 0xFFFF {
            return .v4(UInt32(truncatingIfNeeded: low))
        }
        return .v6(high: high, low: low)
    }
}

extension IPAddress: CustomStringConvertible {
    /// Dotted decimal for IPv4; the canonical RFC 5952 text for IPv6 (lowercase, longest zero run as `::`).
    public var description: String {
        switch self {
        case .v4(let value):
            // Written digit by digit: this text is in every request's log line.
            return String(unsafeUninitializedCapacity: 15) { out in
                var position = 0
                for shift in [24, 16, 8, 0] as [UInt32] {
                    let octet = Int((value >> shift) & 0xFF)
                    if shift != 24 {
                        out[position] = UInt8(ascii: ".")
                        position += 1
                    }
                    if octet >= 100 {
                        out[position] = UInt8(ascii: "0") + UInt8(octet / 100)
                        position += 1
                    }
                    if octet >= 10 {
                        out[position] = UInt8(ascii: "0") + UInt8(octet / 10 % 10)
                        position += 1
                    }
                    out[position] = UInt8(ascii: "0") + UInt8(octet % 10)
                    position += 1
                }
                return position
            }
        case .v6(let high, let low):
            let groups = (0..<8).map { index -> UInt16 in
                let half = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: half >> (48 - 16 * UInt64(index % 4)))
            }
            return Self.canonicalText(groups)
        }
    }

    private static func canonicalText(_ groups: [UInt16]) -> String {
        // The longest run of two or more zero groups (the first of equal runs) is written as "::".
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < groups.count, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
