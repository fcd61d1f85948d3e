import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The client side of `scripts/bench-stream.py`: opens the activity streams, creates tasks and times the
/// `task.created` event's arrival at every stream, reading the streams on `threads` threads with poll(2) so that
/// the client's own reading adds little to the delays. It talks to the script line by line: it reads the
/// API key from the first line of its standard input (never from its arguments), prints `opening` and
/// waits for a line before opening the streams, prints `open` and waits for a line before the timed
/// creations (the script reads the server's memory at those two points), and prints one JSON line of
/// results per phase (`baseline`, one stream; `loaded`, all of them).
struct StreamDelivery {
    /// The server's port on 127.0.0.1.
    let port: Int
    /// How many streams the loaded phase opens.
    let streams: Int
    /// How many tasks each phase creates.
    let events: Int
    /// How many reading threads share the streams.
    let threads: Int
    /// The desktop the tasks are created on.
    let desktopID: String
    /// The API key (read from standard input).
    let key: String

    /// The activity stream's path.
    static let streamPath = "/api/mission-control/activity/stream"

    /// Runs the baseline phase (one stream), then the loaded phase (all of them), printing each result.
    func run() throws {
        let baseline = try measure(streams: 1, announce: false)
        report("baseline", baseline)
        let loaded = try measure(streams: streams, announce: true)
        report("loaded", loaded)
    }

    /// Delays in milliseconds, from the creation's request and from its response, at every stream.
    struct Delays {
        var fromRequest: [Double] = []
        var fromResponse: [Double] = []
    }

    private func measure(streams count: Int, announce: Bool) throws -> Delays {
        if announce { try handshake("opening") }
        var connections: [LoopbackConnection] = []
        connections.reserveCapacity(count)
        for _ in 0..<count { connections.append(try openStream()) }
        let share = (count + threads - 1) / threads
        let readers = stride(from: 0, to: count, by: share).map { start in
            StreamReader(connections: Array(connections[start..<min(start + share, count)]))
        }
        for reader in readers { reader.start() }
        if announce { try handshake("open") }
        var delays = Delays()
        for index in 0..<events {
            let (sent, answered) = try createTask()
            let deadline = monotonicSeconds() + 10
            while readers.contains(where: { $0.fewestArrivals <= index }) {
                guard monotonicSeconds() < deadline else { throw BenchmarkFailure("some streams missed event \(index)") }
                usleep(500)
            }
            for reader in readers {
                for arrival in reader.arrivals(ofEvent: index) {
                    delays.fromRequest.append((arrival - sent) * 1000)
                    delays.fromResponse.append((arrival - answered) * 1000)
                }
            }
            usleep(50_000)
        }
        // The script reads the server's CPU time here, before the streams close.
        if announce { try handshake("measured") }
        for reader in readers { reader.stop() }
        usleep(500_000)
        return delays
    }

    private func openStream() throws -> LoopbackConnection {
        let connection = try LoopbackConnection(port: port)
        try connection.send(Array("GET \(Self.streamPath) HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(key)\r\n\r\n".utf8))
        _ = try connection.read(through: Array("retry: ".utf8))
        return connection
    }

    /// Creates one task on a connection of its own; returns when the request was sent and when the
    /// response's status line arrived.
    private func createTask() throws -> (sent: Double, answered: Double) {
        let body = #"{"type":"prompt","content":"bench","desktopId":"\#(desktopID)"}"#
        let head =
            "POST /api/mission-control/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(key)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let connection = try LoopbackConnection(port: port)
        defer { connection.close() }
        let sent = monotonicSeconds()
        try connection.send(Array((head + body).utf8))
        let status = try connection.read(through: Array("\r\n".utf8))
        let answered = monotonicSeconds()
        guard status.contains(Array(" 201 ".utf8)) else { throw BenchmarkFailure("a task creation was not answered 201") }
        return (sent, answered)
    }

    private func handshake(_ line: String) throws {
        print(line)
        fflush(nil)
        guard readLine() != nil else { throw BenchmarkFailure("the script closed the client's input") }
    }

    private func report(_ phase: String, _ delays: Delays) {
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            let p99 = sorted[min(sorted.count - 1, Int((0.99 * Double(sorted.count - 1)).rounded()))]
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            return #"{"p50":\#(median),"p99":\#(p99),"max":\#(sorted.last ?? 0)}"#
        }
        print(#"{"phase":"\#(phase)","fromRequest":\#(summary(delays.fromRequest)),"fromResponse":\#(summary(delays.fromResponse))}"#)
        fflush(nil)
    }
}
