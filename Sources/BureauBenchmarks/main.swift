// Measurements behind BENCHMARKS.md: micro-measurements that need no server, run in release with
// `swift run -c release BureauBenchmarks <measurement> [count]`, the activity-stream client that
// `scripts/bench-stream.py` drives, and the bare servers of `scripts/bench-floor.sh`.
import BureauAuth
import BureauTestSupport
import Foundation
import Logging

/// Resident set size of this process in bytes, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Memory of the general limiter and the failed-key blocker with `count` distinct IPv4 clients tracked
/// (one request and one failed key attempt each), measured as the growth of resident memory.
func limiterMemory(count: Int) {
    var settings = RateLimitSettings()
    settings.maxTrackedClients = count
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let limits = APIRateLimits(settings: settings, clock: ManualMonotonicClock(), logger: logger)
    let before = residentBytes()
    let start = ContinuousClock.now
    for index in 0..<count {
        let address = IPAddress.v4(UInt32(0x0A00_0000) &+ UInt32(truncatingIfNeeded: index))
        _ = limits.admit(.client(ClientKey(address)), from: address)
        _ = limits.recordFailedAPIKey(from: address)
    }
    let elapsed = ContinuousClock.now - start
    let after = residentBytes()
    let perClient = Double(after - before) / Double(count)
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    let perOperation = Int(nanoseconds / Double(count * 2))
    print(
        "limiter-memory: \(count) clients, resident growth \((after - before) / 1_048_576) MiB, "
            + "\(Int(perClient)) B per client, \(perOperation) ns per operation (admit or failure, first sight of a client)"
    )
    withExtendedLifetime(limits) {}
}

/// `stream-delivery PORT STREAMS EVENTS THREADS DESKTOP_ID`, driven by `scripts/bench-stream.py` (the key
/// comes on standard input).
func streamDelivery(_ arguments: [String]) {
    guard arguments.count == 5, let port = Int(arguments[0]), let streams = Int(arguments[1]), let events = Int(arguments[2]),
        let threads = Int(arguments[3]), streams > 0, events > 0, threads > 0, let key = readLine(), !key.isEmpty
    else {
        FileHandle.standardError.write(Data("usage: BureauBenchmarks stream-delivery PORT STREAMS EVENTS THREADS DESKTOP_ID < key\n".utf8))
        exit(2)
    }
    var limit = rlimit()
    #if canImport(Glibc)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    getrlimit(resource, &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(resource, &limit)
    do {
        try StreamDelivery(port: port, streams: streams, events: events, threads: threads, desktopID: arguments[4], key: key).run()
    } catch {
        FileHandle.standardError.write(Data("stream-delivery: \(error)\n".utf8))
        exit(1)
    }
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "limiter-memory":
    limiterMemory(count: arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000)
case "stream-delivery":
    streamDelivery(Array(arguments.dropFirst()))
case "bare-nio":
    try bareNIO(port: arguments.dropFirst().first.flatMap { Int($0) } ?? 0)
case "bare-hummingbird":
    try await bareHummingbird(port: arguments.dropFirst().first.flatMap { Int($0) } ?? 0)
default:
    FileHandle.standardError.write(
        Data(
            ("usage: BureauBenchmarks limiter-memory [count] | stream-delivery PORT STREAMS EVENTS THREADS DESKTOP_ID"
                + " | bare-nio PORT | bare-hummingbird PORT\n").utf8
        )
    )
    exit(2)
}
