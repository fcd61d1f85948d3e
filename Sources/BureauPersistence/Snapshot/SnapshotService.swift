import BureauStore
import CoreMetrics
import Logging
import ServiceLifecycle

/// Takes snapshots while the server runs: every `interval` (when something changed), whenever the log
/// has grown by `logBytes` since the last one, and once more at graceful shutdown (after the server has
/// drained, when it is placed after the server in the service group).
///
/// It checks its triggers every `checkEvery` on `clock`, so tests drive it with their own clock. A failed
/// snapshot is logged and retried at the next trigger; the log keeps everything meanwhile.
public struct SnapshotService<C: Clock>: Service where C.Duration == Duration {
    let snapshotter: Snapshotter
    let journal: LogJournal?
    let currentState: @Sendable () -> StoreState
    let interval: Duration
    let logBytes: UInt64
    let checkEvery: Duration
    let clock: C
    let logger: Logger
    /// Each snapshot's duration (seconds) and the newest one's size (bytes); failures counted.
    let duration: CoreMetrics.Timer
    let size: Gauge
    let failures: Counter

    /// A service snapshotting `currentState()` through `snapshotter`.
    ///
    /// - Parameters:
    ///   - journal: the log whose growth triggers snapshots (`nil`: no size trigger).
    ///   - interval: time between periodic snapshots; `.zero` turns them off.
    ///   - logBytes: log growth that triggers a snapshot; 0 turns it off.
    ///   - checkEvery: how often the triggers are checked.
    ///   - metrics: makes the snapshot duration, size and failure instruments (the default records nothing).
    public init(
        snapshotter: Snapshotter,
        journal: LogJournal?,
        currentState: @escaping @Sendable () -> StoreState,
        interval: Duration,
        logBytes: UInt64,
        checkEvery: Duration = .seconds(1),
        clock: C,
        logger: Logger,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.duration = CoreMetrics.Timer(label: "bureau_snapshot_duration_seconds", dimensions: [], factory: metrics)
        self.size = Gauge(label: "bureau_snapshot_bytes", dimensions: [], factory: metrics)
        self.failures = Counter(label: "bureau_snapshot_failures_total", dimensions: [], factory: metrics)
        self.snapshotter = snapshotter
        self.journal = journal
        self.currentState = currentState
        self.interval = interval
        self.logBytes = logBytes
        self.checkEvery = checkEvery
        self.clock = clock
        self.logger = logger
    }

    /// Runs the triggers until graceful shutdown or cancellation, then takes the final snapshot.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await watchTriggers() }
        await snapshot(reason: "shutdown")
    }

    /// Sleeps `checkEvery` at a time and snapshots when a trigger is due; returns when cancelled.
    private func watchTriggers() async throws {
        var lastTime = clock.now
        var lastBytes = journal?.bytesAppended ?? 0
        var lastSequence = currentState().sequence
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: checkEvery)
            } catch {
                return
            }
            let now = clock.now
            let bytes = journal?.bytesAppended ?? 0
            let sequence = currentState().sequence
            let timeDue = interval > .zero && lastTime.duration(to: now) >= interval && sequence != lastSequence
            let sizeDue = logBytes > 0 && bytes &- lastBytes >= logBytes
            guard timeDue || sizeDue else { continue }
            await snapshot(reason: sizeDue ? "log size" : "interval")
            lastTime = now
            lastBytes = bytes
            lastSequence = sequence
        }
    }

    /// Takes one snapshot now, logging (not throwing) a failure.
    @discardableResult
    public func snapshot(reason: String) async -> Snapshotter.Outcome? {
        let started = ContinuousClock.now
        do {
            let outcome = try await snapshotter.write(currentState())
            duration.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            if let outcome { size.record(outcome.bytes) }
            return outcome
        } catch {
            failures.increment()
            logger.error("snapshot failed; the log still holds everything", metadata: ["reason": "\(reason)", "error": "\(error)"])
            return nil
        }
    }
}
