import BureauStore
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
}
