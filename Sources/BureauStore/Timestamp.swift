import Foundation

/// A point in time with millisecond precision, stored as milliseconds since the Unix epoch (UTC).
///
/// The API and its `Codable` form (JSON exports) render it as RFC 3339 with milliseconds
/// (`2026-11-22T10:00:00.000Z`); the storage files use their own binary codec.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    /// Wraps a count of milliseconds since the epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The instants a timestamp may hold: 0000-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z,
    /// exactly the ones ``rfc3339`` can write.
    ///
    /// Every decoder of stored or received times refuses a value outside it, so the code that subtracts
    /// two times (expiries, retention) or renders one can never overflow: the difference of two valid
    /// times is under 2^49 milliseconds.
    public static let validRange: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// The time `millisecondsSinceEpoch`, or `nil` when it lies outside ``validRange``: what decoders use.
    public init?(validMillisecondsSinceEpoch milliseconds: Int64) {
        guard Self.validRange.contains(milliseconds) else { return nil }
        self.init(millisecondsSinceEpoch: milliseconds)
    }

    /// This time shifted by a number of milliseconds, kept inside ``validRange``.
    package func adding(milliseconds: Int64) -> Timestamp {
        let (sum, overflow) = millisecondsSinceEpoch.addingReportingOverflow(milliseconds)
        let bounded = overflow ? (milliseconds < 0 ? Self.validRange.lowerBound : Self.validRange.upperBound) : sum
        return Timestamp(millisecondsSinceEpoch: min(max(bounded, Self.validRange.lowerBound), Self.validRange.upperBound))
    }

    /// RFC 3339 in UTC with exactly three fractional digits; a time outside ``validRange`` (which no
    /// decoder lets in) is rendered as the nearest valid one.
    public var rfc3339: String {
        String(unsafeUninitializedCapacity: Self.rfc3339Width) { out in
            writeRFC3339(into: out)
            return Self.rfc3339Width
        }
    }

    /// Length in bytes of ``rfc3339``.
    public static let rfc3339Width = 24

    /// Writes ``rfc3339`` into the first ``rfc3339Width`` bytes of `out` (which must hold them): answers
    /// write timestamps straight into their buffers, without a `String` per timestamp.
    public func writeRFC3339(into out: UnsafeMutableBufferPointer<UInt8>) {
        precondition(out.count >= Self.rfc3339Width)
        // Clamped first: outside four-digit years RFC 3339 has no form, and the arithmetic below stays far
        // from overflow only inside the range.
        let ms = min(max(millisecondsSinceEpoch, Self.validRange.lowerBound), Self.validRange.upperBound)
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (year, month, day) = Self.civil(fromDays: days)
        let hour = msOfDay / 3_600_000
        let minute = (msOfDay / 60_000) % 60
        let second = (msOfDay / 1000) % 60
        let milli = msOfDay % 1000
        // Fixed layout `YYYY-MM-DDTHH:MM:SS.mmmZ`, written digit by digit: this runs for every timestamp in
        // every answer.
        func put(_ value: Int64, width: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                out[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
                value /= 10
            }
        }
        put(year, width: 4, at: 0)
        out[4] = UInt8(ascii: "-")
        put(month, width: 2, at: 5)
        out[7] = UInt8(ascii: "-")
        put(day, width: 2, at: 8)
        out[10] = UInt8(ascii: "T")
        put(hour, width: 2, at: 11)
        out[13] = UInt8(ascii: ":")
        put(minute, width: 2, at: 14)
        out[16] = UInt8(ascii: ":")
        put(second, width: 2, at: 17)
        out[19] = UInt8(ascii: ".")
        put(milli, width: 3, at: 20)
        out[23] = UInt8(ascii: "Z")
    }

    public var description: String { rfc3339 }

    // Howard Hinnant's days-from-civil inverse; exact for the proleptic Gregorian calendar.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    // Howard Hinnant's days-from-civil; the inverse of `civil(fromDays:)`.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Parses exactly the layout ``rfc3339`` writes (`YYYY-MM-DDTHH:MM:SS.mmmZ`); `nil` for anything else.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 24 else { return nil }
        for (index, separator) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] as [(Int, Unicode.Scalar)]
        where bytes[index] != UInt8(ascii: separator) {
            return nil
        }
        func number(_ offset: Int, _ width: Int) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[offset..<(offset + width)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), let milli = number(20, 3),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        guard Self.civil(fromDays: days) == (year, month, day) else { return nil }
        self.init(millisecondsSinceEpoch: ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + milli)
    }

    /// Parses any RFC 3339 date-time (section 5.6): `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds
    /// (kept to the millisecond, the rest dropped), then `Z` or an offset `±HH:MM`; `T` and `Z` in either
    /// case. `nil` for anything else, or a time outside ``validRange``.
    public init?(anyRFC3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 64 else { return nil }
        func number(_ offset: Int, _ width: Int) -> Int64? {
            guard offset + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[offset..<(offset + width)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] | 0x20 == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var milli: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, (48...57).contains(bytes[index]) {
                if index - start < 3 { milli = milli * 10 + Int64(bytes[index] - 48) }
                index += 1
            }
            guard index > start else { return nil }
            for _ in min(index - start, 3)..<3 { milli *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetMinutes: Int64 = 0
        if bytes[index] | 0x20 == UInt8(ascii: "z") {
            index += 1
        } else {
            let sign: Int64
            switch bytes[index] {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            default: return nil
            }
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1, 2),
                let minutes = number(index + 4, 2), hours < 24, minutes < 60
            else { return nil }
            offsetMinutes = sign * (hours * 60 + minutes)
            index += 6
        }
        guard index == bytes.count else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        guard Self.civil(fromDays: days) == (year, month, day) else { return nil }
        let local = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + milli
        self.init(validMillisecondsSinceEpoch: local - offsetMinutes * 60_000)
    }

    /// Decodes the RFC 3339 string that ``encode(to:)`` writes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text.prefix(40))")
        }
        self = value
    }

    /// Encodes the time as an RFC 3339 string with milliseconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
