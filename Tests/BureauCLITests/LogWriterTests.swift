import BureauAuth
import BureauServer
import BureauStore
import Dispatch
import Foundation
import Logging
import Synchronization
import Testing

@testable import BureauCLI

@Suite("The log writer and the JSON format")
struct LogWriterTests {
    /// What a writer wrote, batch by batch.
    final class Captured: Sendable {
        let batches = Mutex<[[UInt8]]>([])
        func write(_ bytes: [UInt8]) { batches.withLock { $0.append(bytes) } }
        var text: String { batches.withLock { String(decoding: $0.joined(), as: UTF8.self) } }
        var lines: [String] { text.split(separator: "\n").map(String.init) }
    }

    static func record(_ index: Int, target: String = "/api/desktops") -> RequestLogRecord {
        RequestLogRecord(
            requestID: "req-\(index)",
            method: "GET",
            target: target,
            route: "/api/desktops/{id}",
            status: 200,
            duration: .microseconds(1_250),
            userID: UserID("6F1C2D1E-0000-4000-8000-000000000001")!,
            authMethod: "api_key",
            client: IPAddress("203.0.113.9")!
        )
    }

    static let time = WallTime(seconds: 1_790_000_000, nanoseconds: 7_000_000)

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("a request's JSON line: every field, numbers as numbers, the time in UTC with milliseconds")
    func requestLine() throws {
        let line = JSONLogLine.request(Self.record(1), time: Self.time, level: .info, label: "bureau")
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try Self.object(line)
        #expect(object["time"] as? String == "2026-09-21T14:13:20.007Z")
        #expect(object["level"] as? String == "info" && object["label"] as? String == "bureau" && object["message"] as? String == "request")
        #expect(object["request_id"] as? String == "req-1" && object["method"] as? String == "GET")
        #expect(object["target"] as? String == "/api/desktops" && object["route"] as? String == "/api/desktops/{id}")
        #expect(object["status"] as? Int == 200 && object["duration_ms"] as? Double == 1.3)
        #expect(object["user_id"] as? String == "6f1c2d1e-0000-4000-8000-000000000001")
        #expect(object["auth_method"] as? String == "api_key" && object["client"] as? String == "203.0.113.9")
    }

    /// The text line the general formatter makes of `record`'s metadata: what a request's line must equal.
    static func generalLine(_ record: RequestLogRecord) -> String {
        LineLogHandler.line(time: time, level: .info, label: "bureau", metadata: record.metadata, source: "BureauServer", message: "request")
    }

    @Test("a request's text line, written field by field, is the line its metadata makes, hostile values escaped alike")
    func requestTextLine() {
        let records = [
            RequestLogRecord(requestID: "r", method: "GET", target: "/nowhere", route: nil, status: 404, duration: .zero),
            RequestLogRecord(
                requestID: "r-\u{1B}[2J",
                method: "POST",
                target: "/api/desktops?name=\u{202E}x\\y\nforged",
                route: "/api/desktops",
                status: 201,
                duration: .microseconds(1_234_567),
                userID: UserID.random(),
                authMethod: "api_key",
                client: .v6(high: 0x2001_0db8_0000_0000, low: 1)
            ),
            RequestLogRecord(
                requestID: "é😀",
                method: "GET",
                target: "/",
                route: "/",
                status: 200,
                duration: .milliseconds(3),
                client: .v4(0x7F00_0001)
            ),
        ]
        for record in records {
            let fast = LineLogHandler.requestLine(record, time: Self.time, level: .info, label: "bureau")
            #expect(fast == Self.generalLine(record))
        }
    }

    @Test("the text line's duration reads as the record's milliseconds with one decimal, for any duration")
    func requestTextDurations() {
        var durations: [Duration] = [
            .zero, .nanoseconds(1), .nanoseconds(49_999), .nanoseconds(50_000), .microseconds(99), .microseconds(950),
            .microseconds(1_050), .milliseconds(9), .milliseconds(10), .seconds(1), .seconds(59), .seconds(86_400 * 400),
        ]
        var generator = SystemRandomNumberGenerator()
        durations += (0..<1_000).map { _ in .nanoseconds(Int64.random(in: 0...120_000_000_000, using: &generator)) }
        for duration in durations {
            let record = RequestLogRecord(requestID: "r", method: "GET", target: "/", route: nil, status: 200, duration: duration)
            let line = LineLogHandler.requestLine(record, time: Self.time, level: .info, label: "bureau")
            #expect(line.contains(" duration_ms=\(record.durationMilliseconds) "), "\(duration): \(line)")
            #expect(line == Self.generalLine(record))
        }
    }

    @Test("the writer formats a second's time once and writes each line's own second")
    func timeTextPerSecond() {
        var times = WallTime.LocalText()
        for seconds in [1_790_000_000, 1_790_000_000, 1_790_000_001, 1_789_999_999, 1_790_000_001] {
            let time = WallTime(seconds: seconds, nanoseconds: 5)
            #expect(String(decoding: times.of(time), as: UTF8.self) == time.local)
        }
    }

    @Test("a request without credentials or route leaves those fields out")
    func anonymousRequest() throws {
        let record = RequestLogRecord(requestID: "r", method: "GET", target: "/nowhere", route: nil, status: 404, duration: .zero)
        let object = try Self.object(JSONLogLine.request(record, time: Self.time, level: .info, label: "bureau"))
        #expect(object["route"] == nil && object["user_id"] == nil && object["auth_method"] == nil && object["client"] == nil)
        #expect(object["status"] as? Int == 404)
    }

    @Test("JSON strings carry no raw control character, line break or bidi override; the value reads back the same")
    func escaping() throws {
        let hostile = "a\"b\\c\u{1B}[2J\nforged line\r\u{7F}\u{85}\u{202E}\u{200B}é😀"
        let line = JSONLogLine.line(
            time: Self.time,
            level: .warning,
            label: "bureau.test",
            metadata: ["name": .string(hostile), "hb.request.id": "r-1", "nested": .dictionary(["list": .array([.string(hostile)])])],
            source: "Tests",
            message: "\(hostile)"
        )
        #expect(line.filter { $0 == "\n" || $0 == "\r" }.count == 1, "one line: \(line)")
        for scalar in line.unicodeScalars.dropLast() {
            #expect(scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80...0x9F).contains(scalar.value))
            #expect(![0x202E, 0x200B].contains(scalar.value))
        }
        let object = try Self.object(line)
        #expect(object["message"] as? String == hostile && object["name"] as? String == hostile)
        #expect(object["request_id"] as? String == "r-1", "the request id has the same name in every JSON line")
        #expect(((object["nested"] as? [String: Any])?["list"] as? [String])?.first == hostile)
        #expect(object["source"] as? String == "Tests")
    }

    @Test("ASCII values with a quote or a backslash (no other character to escape) are escaped and read back the same")
    func asciiQuotesAndBackslashes() throws {
        for value in ["say \"hi\"", "C:\\path\\to", "\"", "\\", "plain / ASCII ~ 42", "tab\there", "del\u{7F}"] {
            let line = JSONLogLine.line(
                time: Self.time,
                level: .info,
                label: "bureau",
                metadata: ["v": .string(value)],
                source: "T",
                message: "\(value)"
            )
            let object = try Self.object(line)
            #expect(object["v"] as? String == value && object["message"] as? String == value, "\(value)")
            #expect(!line.dropLast().contains("\t") && !line.contains("\u{7F}"), "\(line)")
        }
    }

    @Test("status and duration in a handler's metadata are numbers; other values strings")
    func handlerNumbers() throws {
        let captured = Captured()
        let logger = Logger(label: "bureau") { LineLogHandler(label: $0, level: .info, format: .json) { captured.write(Array($0.utf8)) } }
        logger.info("request", metadata: ["hb.response.status": "201", "duration_ms": "0.4", "user_id": "u-1"])
        logger.debug("not at this level")
        let lines = captured.lines
        #expect(lines.count == 1)
        let object = try Self.object(lines[0])
        #expect(object["status"] as? Int == 201 && object["duration_ms"] as? Double == 0.4 && object["user_id"] as? String == "u-1")
    }

    @Test("records are written in order, every one of them by close(), in either format")
    func orderAndClose() throws {
        for format in LogFormat.allCases {
            let captured = Captured()
            let writer = LogWriter(format: format, capacity: 100_000) { captured.write($0) }
            for index in 0..<1_000 {
                writer.enqueue(.request(Self.record(index), label: "bureau", level: .info, at: Self.time))
            }
            writer.close()
            let lines = captured.lines
            #expect(lines.count == 1_000, "\(format)")
            let ids = lines.map { line in
                format == .json
                    ? (try? Self.object(line)["request_id"] as? String) ?? nil
                    : line.split(separator: " ").first { $0.hasPrefix("hb.request.id=") }.map { String($0.dropFirst(14)) }
            }
            #expect(ids == (0..<1_000).map { "req-\($0)" }, "\(format)")
            #expect(writer.droppedEntries == 0)
            // After close, a line is written at once by its caller.
            writer.enqueue(.line("late\n"))
            #expect(captured.lines.last == "late")
            writer.close()
        }
    }

    @Test("a line queued after the writer went to sleep wakes it: none waits for the next one, however they are spaced")
    func wakesFromSleep() throws {
        let captured = Captured()
        let writer = LogWriter(format: .text, capacity: 100) { captured.write($0) }
        for index in 0..<60 {
            // Every third line after more than a linger of quiet, so the writer has gone to sleep; the others
            // while it lingers or writes.
            if index % 3 == 0 { Thread.sleep(forTimeInterval: 0.012) }
            writer.enqueue(.line("line \(index)\n"))
            let deadline = ContinuousClock.now + .seconds(20)
            while captured.lines.count < index + 1, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.001) }
            #expect(captured.lines.count == index + 1, "line \(index) was not written without a later one")
        }
        #expect(captured.lines == (0..<60).map { "line \($0)" })
        writer.close()
    }

    @Test("a text request line is the handler's layout, with the record's fields as key=value")
    func textRequestLine() {
        let captured = Captured()
        let writer = LogWriter(format: .text, capacity: 10) { captured.write($0) }
        writer.enqueue(.request(Self.record(7, target: "/api/x?name=\u{1B}]0;pwned\u{07}"), label: "bureau", level: .info, at: Self.time))
        writer.close()
        let line = captured.text
        #expect(line.contains(" info bureau: auth_method=api_key client=203.0.113.9 duration_ms=1.3 hb.request.id=req-7 hb.request.method=GET "))
        #expect(line.contains("hb.request.uri=/api/x?name=\\u{1B}]0;pwned\\u{7} hb.response.status=200 route=/api/desktops/{id} "))
        #expect(line.hasSuffix("user_id=6f1c2d1e-0000-4000-8000-000000000001 [BureauServer] request\n"))
    }

    @Test("when the writer cannot keep up, entries are dropped rather than waited for, counted, and the log says how many")
    func boundedQueue() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let first = Mutex(true)
        let captured = Captured()
        let writer = LogWriter(format: .json, capacity: 100) { bytes in
            if first.withLock({ value in
                defer { value = false }
                return value
            }) {
                entered.signal()
                release.wait()
            }
            captured.write(bytes)
        }
        // The first batch holds the writer's thread in its write...
        writer.enqueue(.line("{\"first\":true}\n"))
        #expect(entered.wait(timeout: .now() + 10) == .success)
        // ...so the queue fills: 100 are kept, 25 dropped, and no enqueue waits for the stuck write.
        let started = ContinuousClock.now
        for index in 0..<125 { writer.enqueue(.request(Self.record(index), label: "bureau", level: .info, at: Self.time)) }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(writer.droppedEntries == 25)
        release.signal()
        writer.close()
        let lines = captured.lines
        #expect(lines.count == 1 + 100 + 1)
        let notice = try Self.object(try #require(lines.last))
        #expect(notice["level"] as? String == "warning" && notice["dropped"] as? String == "25")
        #expect((notice["message"] as? String)?.contains("dropped") == true)
    }
}
