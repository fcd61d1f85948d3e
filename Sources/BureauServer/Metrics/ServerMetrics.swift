import BureauAuth
import BureauStore
import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The server's metrics, in Prometheus's text format at `GET /metrics`: the instruments of every part
/// (made through swift-metrics from ``factory``) and the figures read when a scrape comes (streams,
/// caches, blocks, memory). Label values come from fixed sets only: route templates (or `unmatched`),
/// a fixed list of methods (or `OTHER`), the status codes the server answers, and each part's own
/// outcome names; never a user's data, a key, an id or a raw path.
public final class ServerMetrics: Sendable {
    /// Where every instrument lives.
    public let registry: PrometheusCollectorRegistry
    /// Makes swift-metrics instruments that report into ``registry``.
    public let factory: PrometheusMetricsFactory

    private struct SeriesKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// The instruments of one route template, method and status.
    struct Series: Sendable {
        fileprivate var requests: CoreMetrics.Counter
        fileprivate var duration: CoreMetrics.Timer

        /// Counts one request that took `duration`.
        func record(_ duration: Duration) {
            requests.increment()
            self.duration.recordNanoseconds(duration.nanoseconds)
        }
    }

    private let series = Mutex<[SeriesKey: Series]>([:])
    private let collectors = Mutex<[@Sendable () -> Void]>([])

    /// The methods counted under their own name; any other is `OTHER`.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Sub-millisecond resolution: most requests, appends and cached checks take well under 5 ms.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]
        self.factory = factory
    }

    /// Counts one request and records its duration, by route template, method and status.
    public func recordRequest(route: String?, method: String, status: Int, duration: Duration) {
        series(route: route, method: method, status: status).record(duration)
    }

    /// The instruments ``recordRequest(route:method:status:duration:)`` counts such a request in: a caller
    /// that answers one kind of request again and again keeps them, and skips the lookup.
    func series(route: String?, method: String, status: Int) -> Series {
        // A request no route matched has no template (the router may name its fallback): one label for all.
        let template = route.flatMap { $0.utf8.first == UInt8(ascii: "/") ? $0 : nil } ?? "unmatched"
        let key = SeriesKey(route: template, method: Self.methods.contains(method) ? method : "OTHER", status: status)
        return series.withLock { series in
            if let existing = series[key] { return existing }
            let dimensions = [("route", key.route), ("method", key.method)]
            let made = Series(
                requests: CoreMetrics.Counter(
                    label: "bureau_http_requests_total",
                    dimensions: dimensions + [("status", String(status))],
                    factory: factory
                ),
                duration: CoreMetrics.Timer(label: "bureau_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            )
            series[key] = made
            return made
        }
    }

    /// Runs `collect` before every scrape (to set gauges and counters from figures kept elsewhere).
    public func addCollector(_ collect: @escaping @Sendable () -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// A gauge set from `value()` at every scrape.
    public func gauge(_ name: String, _ value: @escaping @Sendable () -> Int) {
        let gauge = CoreMetrics.Gauge(label: name, dimensions: [], factory: factory)
        addCollector { gauge.record(value()) }
    }

    /// A counter kept equal to `total()` (a running total kept elsewhere) at every scrape.
    public func counter(_ name: String, dimensions: [(String, String)] = [], total: @escaping @Sendable () -> Int) {
        let counter = CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
        let reported = Mutex(0)
        addCollector {
            let now = total()
            let delta = reported.withLock { reported in
                defer { reported = max(reported, now) }
                return now - reported
            }
            if delta > 0 { counter.increment(by: delta) }
        }
    }

    /// The text format, every collector run first.
    public func render() -> [UInt8] {
        for collect in collectors.withLock({ $0 }) { collect() }
        return registry.emitToBuffer()
    }

    /// Resident memory of this process in bytes (Linux: `/proc/self/statm`), 0 where unknown.
    static func residentMemoryBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The figures of `services` read at each scrape: open streams and slow readers dropped, bcrypt
    /// checks under way, the digest cache's size, active blocks, process memory.
    func collect(from services: BureauServices) {
        let hub = services.activity
        let gate = services.gate
        gauge("bureau_open_streams") { hub.openStreams }
        counter("bureau_streams_dropped_slow_total") { hub.droppedSlowReaders }
        counter("bureau_rate_limited_total", dimensions: [("limit", RefusingLimit.streams.rawValue)]) { hub.refusedStreams }
        gauge("bureau_bcrypt_checks_in_flight") { gate.keyChecksInFlight }
        gauge("bureau_key_cache_size") { gate.verifier.cachedKeyCount }
        gauge("bureau_active_blocks") { gate.limits.failedAuth.activeBlockCount }
        gauge("bureau_process_resident_memory_bytes") { Self.residentMemoryBytes() }
    }
}
