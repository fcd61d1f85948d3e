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

    @Test("random identifiers are version 4 RFC 4122 UUIDs, all different")
    func randomVersion4() {
        var seen: Set<TaskID> = []
        for _ in 0..<10_000 {
            let id = TaskID.random()
            #expect(seen.insert(id).inserted)
            let text = id.description
            #expect(text[text.index(text.startIndex, offsetBy: 14)] == "4")
            #expect("89ab".contains(text[text.index(text.startIndex, offsetBy: 19)]))
        }
        // Every one of the 122 random bits varies (none stuck at 0 or at 1 across 10,000 draws).
        var ones = [Int](repeating: 0, count: 128)
        for id in seen {
            withUnsafeBytes(of: id.uuid.uuid) { raw in
                for bit in 0..<128 where raw[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 { ones[bit] += 1 }
            }
        }
        let fixed: Set<Int> = [48, 49, 50, 51, 64, 65]
        for bit in 0..<128 where !fixed.contains(bit) { #expect((4000...6000).contains(ones[bit]), "bit \(bit)") }
    }

    @Test("parsing agrees with Foundation on canonical text and refuses every other spelling")
    func strictParsing() {
        for _ in 0..<200 {
            let uuid = UUID()
            #expect(DesktopID(uuid.uuidString)?.uuid == uuid)
            #expect(DesktopID(uuid.uuidString.lowercased())?.uuid == uuid)
            #expect(
                DesktopID(String(uuid.uuidString.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.lowercased()) : $0.element }))?.uuid
                    == uuid
            )
        }
        let valid = "123e4567-e89b-42d3-a456-426614174000"
        #expect(DesktopID(valid)?.description == valid)
        for invalid in [
            "{123e4567-e89b-42d3-a456-426614174000}", " 123e4567-e89b-42d3-a456-42661417400", "123e4567-e89b-42d3-a456-42661417400 ",
            "123e4567e89b42d3a456426614174000", "123e4567-e89b-42d3-a456_426614174000", "123e4567-e89b-42d3-a456-4266141740000",
            "123e4567-e89b-42d3-a456-42661417400g", "+23e4567-e89b-42d3-a456-426614174000", "123e4567-e89b-42d3-a456-4266141740\u{e9}",
            "123e4567--89b-42d3-a456-426614174000", "0x3e4567-e89b-42d3-a456-426614174000", "123e4567-e89b-42d3-a4-56426614174000",
        ] {
            #expect(DesktopID(invalid) == nil, "\(invalid)")
        }
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
