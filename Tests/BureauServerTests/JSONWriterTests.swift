import BureauStore
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
            for (index, sample) in samples.enumerated() {
                json.key(escaping: "k\(index)")
                json.string(sample)
            }
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

    @Test("an answer larger than the writer's first room comes out whole, whatever the sizes of its writes")
    func growth() throws {
        let names = (0..<400).map { index in String(repeating: "é\"x", count: index % 37) + "\(index)" }
        var writer = JSONWriter(capacity: 16)
        writer.array { array in
            for (index, name) in names.enumerated() {
                array.object { json in
                    json.field("name", name)
                    json.field("n", index)
                    json.field("at", Timestamp(millisecondsSinceEpoch: Int64(index) * 86_400_123))
                }
            }
        }
        let text = String(buffer: writer.buffer)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.count == names.count)
        for (index, item) in parsed.enumerated() {
            #expect(item["name"] as? String == names[index])
            #expect(item["n"] as? Int == index)
            #expect(item["at"] as? String == Timestamp(millisecondsSinceEpoch: Int64(index) * 86_400_123).rfc3339)
        }
    }
}

@Suite("JSON writer: values written in place")
struct JSONWriterInPlaceTests {
    @Test("identifiers and timestamps written in place equal their string forms; nil ones are null")
    func typedFields() throws {
        let desktop = DesktopID.random()
        let time = Timestamp(millisecondsSinceEpoch: 1_795_341_600_123)
        let early = Timestamp(millisecondsSinceEpoch: -1)
        var writer = JSONWriter()
        writer.object { json in
            json.field("id", desktop)
            json.field("noID", nil as DesktopID?)
            json.field("at", time)
            json.field("early", early)
            json.field("never", nil as Timestamp?)
            json.key("nested")
            json.array { array in
                array.object { inner in inner.field("id", desktop) }
                array.timestamp(time)
            }
        }
        let text = String(buffer: writer.buffer)
        #expect(
            text == #"{"id":"\#(desktop.description)","noID":null,"at":"\#(time.rfc3339)","early":"1969-12-31T23:59:59.999Z","#
                + #""never":null,"nested":[{"id":"\#(desktop.description)"},"\#(time.rfc3339)"]}"#
        )
        #expect(time.rfc3339 == "2026-11-22T10:00:00.123Z")
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
    }
}

@Suite("JSON writer: task strings written from the task's storage")
struct TaskRepresentationTests {
    static let samples = ["plain", "", "quote \" backslash \\ newline\n tab\t nul \u{0}", "é 🇫🇷 \u{2028}", String(repeating: "x", count: 5_000)]

    @Test("a string written from its UTF-8 bytes reads exactly as the same string written as a String")
    func bytesEqualString() {
        for sample in Self.samples {
            var fromString = JSONWriter()
            fromString.array { $0.string(sample) }
            var fromBytes = JSONWriter()
            var copy = sample
            copy.withUTF8 { bytes in fromBytes.array { $0.string(utf8: bytes) } }
            #expect(String(buffer: fromBytes.buffer) == String(buffer: fromString.buffer))
        }
    }

    @Test("content and result come out whole, result null when absent")
    func taskStrings() throws {
        let t0 = Timestamp(millisecondsSinceEpoch: 1_795_341_600_000)
        for content in Self.samples {
            for result in [nil, "done", "multi\nline \"result\" é"] as [String?] {
                let task = MissionTask(
                    id: .random(),
                    ownerID: .random(),
                    desktopID: .random(),
                    type: TaskType.allCases[0],
                    content: content,
                    status: .queued,
                    result: result,
                    createdAt: t0,
                    updatedAt: t0,
                    ordinal: 1
                )
                var writer = JSONWriter()
                TaskRepresentation(task).write(to: &writer)
                let text = String(buffer: writer.buffer)
                let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                #expect(parsed["content"] as? String == content)
                if let result { #expect(parsed["result"] as? String == result) } else { #expect(parsed["result"] is NSNull) }
                #expect(parsed["desktopId"] as? String == task.desktopID.description)
            }
        }
    }
}
