import Logging
import Synchronization
import Testing

@testable import BureauCLI

@Suite("Log lines")
struct LineLogHandlerTests {
    /// Lines written, in order.
    final class Lines: Sendable, TextOutputStream {
        let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// A line without its leading timestamp (the two handlers may write theirs a second apart).
    static func withoutTime(_ line: String) -> Substring {
        line.drop { $0 != " " }
    }

    @Test("lines read exactly as swift-log's StreamLogHandler writes them")
    func sameLayout() throws {
        let ours = Lines()
        let theirs = Lines()
        let provider = Logger.MetadataProvider { ["trace": "t-1", "shared": "provided"] }
        var lineLogger = Logger(label: "bureau.test") {
            LineLogHandler(label: $0, level: .debug, metadataProvider: provider) { ours.write($0) }
        }
        var streamLogger = Logger(label: "bureau.test") { label in
            var handler = StreamLogHandler(label: label, stream: theirs, metadataProvider: provider)
            handler.logLevel = .debug
            return handler
        }
        for index in 0..<2 {
            lineLogger[metadataKey: "hb.request.id"] = "\(index)"
            streamLogger[metadataKey: "hb.request.id"] = "\(index)"
            lineLogger[metadataKey: "shared"] = "base"
            streamLogger[metadataKey: "shared"] = "base"
        }
        struct Failure: Error {}
        for logger in [lineLogger, streamLogger] {
            logger.info("request", metadata: ["hb.response.status": "200", "list": ["a", "b"], "map": ["k": "v"]])
            logger.debug("plain")
            logger.trace("not written: below the level")
            logger.error("failed", error: Failure())
        }
        #expect(ours.all.count == 3)
        #expect(ours.all.map(Self.withoutTime) == theirs.all.map(Self.withoutTime))
        let first = try #require(ours.all.first)
        #expect(
            first.hasSuffix(
                " info bureau.test: hb.request.id=1 hb.response.status=200 list=[\"a\", \"b\"] map=[\"k\": \"v\"] shared=provided trace=t-1 [BureauCLITests] request\n"
            )
        )
    }

    @Test("metadata values and messages holding control characters or line breaks are written escaped, on one line")
    func escapesControlCharacters() throws {
        let lines = Lines()
        let logger = Logger(label: "bureau.test") { LineLogHandler(label: $0, level: .info) { lines.write($0) } }
        logger.info("name \u{1B}]0;t\u{07}", metadata: ["path": "/a\u{1B}[2J\r\n2026-01-01T00:00:00+0000 critical forged", "ok": "plain"])
        let line = try #require(lines.all.first)
        #expect(
            line.hasSuffix(
                " ok=plain path=/a\\u{1B}[2J\\u{D}\\u{A}2026-01-01T00:00:00+0000 critical forged [BureauCLITests] name \\u{1B}]0;t\\u{7}\n"
            )
        )
        #expect(line.dropLast().allSatisfy { !$0.isNewline } && !line.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
    }

    @Test("the request id, kept apart from the other metadata, reads and writes like any other key")
    func requestIDKeptApart() throws {
        let lines = Lines()
        var handler = LineLogHandler(label: "bureau.test", level: .info) { lines.write($0) }
        handler.metadata = ["hb.request.id": "r-1", "a": "1"]
        #expect(handler.metadata == ["hb.request.id": "r-1", "a": "1"])
        #expect(handler[metadataKey: "hb.request.id"] == "r-1" && handler[metadataKey: "a"] == "1")
        handler[metadataKey: "hb.request.id"] = "r-2"
        #expect(handler.metadata == ["hb.request.id": "r-2", "a": "1"])
        handler[metadataKey: "hb.request.id"] = nil
        #expect(handler.metadata == ["a": "1"] && handler[metadataKey: "hb.request.id"] == nil)
        handler.metadata = [:]
        #expect(handler.metadata.isEmpty)
        var logger = Logger(label: "bureau.test") { _ in handler }
        logger[metadataKey: "hb.request.id"] = "r-3"
        logger.info("hello", metadata: ["b": "2"])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix(" info bureau.test: b=2 hb.request.id=r-3 [BureauCLITests] hello\n"), "\(line)")
    }

    @Test("setting metadata writes nothing; a logger without metadata writes no separator")
    func metadataOnlyWhenLogged() throws {
        let lines = Lines()
        var logger = Logger(label: "quiet") { LineLogHandler(label: $0, level: .info) { lines.write($0) } }
        logger[metadataKey: "a"] = "1"
        logger[metadataKey: "a"] = nil
        #expect(lines.all.isEmpty)
        logger.notice("hello")
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix(" notice quiet: [BureauCLITests] hello\n"))
    }
}
