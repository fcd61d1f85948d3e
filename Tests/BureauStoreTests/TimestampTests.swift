import BureauStore
import Foundation
import Testing

@Suite("Timestamp")
struct TimestampTests {
    @Test(
        "renders RFC 3339 UTC with milliseconds",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000Z"),
            (Int64(1_795_341_600_000), "2026-11-22T10:00:00.000Z"),
            (Int64(951_782_400_123), "2000-02-29T00:00:00.123Z"),
            (Int64(253_402_300_799_999), "9999-12-31T23:59:59.999Z"),
            (Int64(-1), "1969-12-31T23:59:59.999Z"),
        ]
    )
    func rendering(milliseconds: Int64, expected: String) {
        #expect(Timestamp(millisecondsSinceEpoch: milliseconds).rfc3339 == expected)
    }

    @Test(
        "parses what it renders, and its Codable form is that string",
        arguments: [Int64(0), 1_795_341_600_000, 951_782_400_123, 253_402_300_799_999, -1, -62_167_219_200_000]
    )
    func parsing(milliseconds: Int64) throws {
        let time = Timestamp(millisecondsSinceEpoch: milliseconds)
        #expect(Timestamp(rfc3339: time.rfc3339) == time)
        let json = try JSONEncoder().encode([time])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(time.rfc3339)\"]")
        #expect(try JSONDecoder().decode([Timestamp].self, from: json) == [time])
    }

    @Test(
        "refuses anything but the exact layout",
        arguments: [
            "", "2026-11-22T10:00:00Z", "2026-11-22 10:00:00.000Z", "2026-02-30T10:00:00.000Z", "2026-13-01T10:00:00.000Z",
            "2026-11-22T24:00:00.000Z", "2026-11-22T10:00:00.000+", "2026-1a-22T10:00:00.000Z",
        ]
    )
    func refusing(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("now is close to the system clock")
    func now() {
        let now = Timestamp.now()
        #expect(now.millisecondsSinceEpoch > 1_700_000_000_000)
    }
}

@Suite("CRC32")
struct CRC32Tests {
    @Test("standard check values")
    func checkValues() {
        let input = Array("123456789".utf8)
        #expect(CRC32.ieee.checksum(input) == 0xCBF4_3926)
        #expect(CRC32.castagnoli.checksum(input) == 0xE306_9283)
    }

    @Test("continuing equals one pass")
    func continuing() {
        let input = Array("hello, bureau".utf8)
        let whole = CRC32.castagnoli.checksum(input)
        let first = CRC32.castagnoli.checksum(input[0..<5])
        #expect(CRC32.castagnoli.checksum(input[5...], continuing: first) == whole)
    }

    /// Bit at a time, straight from the definition: the reference the table-driven paths must match.
    private static func reference(_ bytes: [UInt8], polynomial: UInt32, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
        }
        return ~crc
    }

    @Test("eight bytes at a time equals the definition, at every length, alignment and starting value")
    func slicing() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for (crc, polynomial) in [(CRC32.ieee, UInt32(0xEDB8_8320)), (CRC32.castagnoli, UInt32(0x82F6_3B78))] {
            for offset in 0..<9 {
                for length in 0...(data.count - offset) {
                    let slice = Array(data[offset..<(offset + length)])
                    let previous = UInt32(truncatingIfNeeded: length &* 2_654_435_761)
                    let expected = Self.reference(slice, polynomial: polynomial, continuing: previous)
                    // Raw memory at an arbitrary alignment (the eight-byte path), and a sequence that has no
                    // contiguous storage (the byte-at-a-time path).
                    let raw = data.withUnsafeBytes {
                        crc.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)]), continuing: previous)
                    }
                    #expect(raw == expected)
                    #expect(crc.checksum(slice.lazy.map { $0 }, continuing: previous) == expected)
                }
            }
        }
    }
}

@Suite("Identifiers")
struct IdentifierTests {
    @Test("render as Foundation's lowercased UUID string and parse back, case-insensitively")
    func rendering() {
        for _ in 0..<500 {
            let id = DesktopID.random()
            #expect(id.description == id.uuid.uuidString.lowercased())
            #expect(DesktopID(id.description) == id)
            #expect(DesktopID(id.uuid.uuidString) == id)
        }
        #expect(DesktopID("not-a-uuid") == nil)
        #expect(DesktopID("") == nil)
    }

    @Test(
        "parses any RFC 3339 date-time: fractions of any length, Z or an offset, t and z in either case",
        arguments: [
            ("2026-11-22T10:00:00Z", Int64(1_795_341_600_000)),
            ("2026-11-22t10:00:00z", 1_795_341_600_000),
            ("2026-11-22T10:00:00.5Z", 1_795_341_600_500),
            ("2026-11-22T10:00:00.123456789Z", 1_795_341_600_123),
            ("2026-11-22T12:30:00+02:30", 1_795_341_600_000),
            ("2026-11-22T05:00:00-05:00", 1_795_341_600_000),
            ("2026-11-22T10:00:00.000Z", 1_795_341_600_000),
        ]
    )
    func parsingAnyRFC3339(text: String, milliseconds: Int64) {
        #expect(Timestamp(anyRFC3339: text)?.millisecondsSinceEpoch == milliseconds)
    }

    @Test(
        "refuses what is not an RFC 3339 date-time",
        arguments: [
            "", "2026-11-22", "2026-11-22T10:00:00", "2026-11-22 10:00:00Z", "2026-11-22T10:00Z", "2026-02-30T10:00:00Z",
            "2026-11-22T24:00:00Z", "2026-11-22T10:00:00.Z", "2026-11-22T10:00:00+0200", "2026-11-22T10:00:00+02:00x",
            "2026-11-22T10:00:00Zjunk", "+2026-11-22T10:00:00Z", "2026-11-22T10:00:00+24:00", "tomorrow at noon, UTC!!",
        ]
    )
    func refusingOthers(text: String) {
        #expect(Timestamp(anyRFC3339: text) == nil)
    }
}
