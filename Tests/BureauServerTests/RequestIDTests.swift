import Testing

@testable import BureauServer

@Suite("Request ids")
struct RequestIDTests {
    @Test("an id is the process's prefix then the counter in lowercase hexadecimal, for every width of counter")
    func text() {
        var values: [UInt64] = [0, 1, 9, 10, 15, 16, 255, 256, 0xFFF, 0x1000, 0xDEAD_BEEF, UInt64(UInt32.max), UInt64.max - 1, UInt64.max]
        values += (0..<64).map { UInt64(1) << UInt64($0) }
        var generator = SystemRandomNumberGenerator()
        values += (0..<1_000).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0..<64, using: &generator) }
        for prefix in ["", "a-", "1f2e3d4c-"] {
            for value in values {
                #expect(RequestIDGenerator.text(prefix: prefix, value) == prefix + String(value, radix: 16))
            }
        }
    }

    @Test("ids are unique and share the process's prefix")
    func unique() {
        let generator = RequestIDGenerator()
        let ids = (0..<1_000).map { _ in generator.next() }
        #expect(Set(ids).count == ids.count)
        let prefixes = Set(ids.map { $0.prefix { $0 != "-" } })
        #expect(prefixes.count == 1 && ids.allSatisfy { $0.contains("-") })
    }
}
