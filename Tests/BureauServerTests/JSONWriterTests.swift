import Foundation
import NIOCore
import Testing

@testable import BureauServer

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("strings survive a round trip through a standard parser, whatever they hold")
    func escaping() throws {
        let samples = [
            "plain", "quote \" and backslash \\", "slash / stays", "newline\nreturn\rtab\t", "\u{0}\u{1}\u{1F}\u{7F}",
            "é 🇫🇷 \u{2028}\u{2029}", "", String(repeating: "\"", count: 100),
        ]
        var writer = JSONWriter()
        writer.object { json in
            for (index, sample) in samples.enumerated() { json.field("k\(index)", sample) }
            json.field("n", 42)
            json.field("missing", nil as String?)
            json.key("list")
            json.array { array in
                array.string("a")
                array.integer(-1)
                array.null()
                array.object { _ in }
            }
        }
        let text = String(buffer: writer.buffer)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for (index, sample) in samples.enumerated() { #expect(parsed["k\(index)"] as? String == sample) }
        #expect(parsed["n"] as? Int == 42)
        #expect(parsed["missing"] is NSNull)
        #expect((parsed["list"] as? [Any])?.count == 4)
        #expect(text.hasPrefix("{\"k0\":\"plain\""))
    }
}
