import Logging
import ServiceLifecycle

/// Runs `action` every `interval` on `clock`, and (unless told otherwise) once more at graceful shutdown so
/// nothing noted is lost; optionally once at start too. Tests drive it with their own clock.
public struct PeriodicService<C: Clock>: Service where C.Duration == Duration {
    let name: String
    let interval: Duration
    let clock: C
    let logger: Logger
    let runsAtStart: Bool
    let runsAtShutdown: Bool
    let action: @Sendable () async throws -> Void

    /// `action` every `interval`; also at start when `runsAtStart` (a check a server restarted more often
    /// than `interval` must not skip), and at graceful shutdown when `runsAtShutdown` (writing what was noted).
    public init(
        name: String,
        interval: Duration,
        clock: C,
        logger: Logger,
        runsAtStart: Bool = false,
        runsAtShutdown: Bool = true,
        action: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.clock = clock
        self.logger = logger
        self.runsAtStart = runsAtStart
        self.runsAtShutdown = runsAtShutdown
        self.action = action
    }

    public func run() async throws {
        if runsAtStart { await runAction() }
        await repeatUntilGracefulShutdown(every: interval, on: clock) { await runAction() }
        if runsAtShutdown { await runAction() }
    }

    private func runAction() async {
        do {
            try await action()
        } catch {
            logger.warning("periodic task failed; it will be retried", metadata: ["task": "\(name)", "error": "\(error)"])
        }
    }
}

/// Runs `body` every `interval` of `clock` until graceful shutdown (or cancellation), then returns.
func repeatUntilGracefulShutdown<C: Clock>(every interval: Duration, on clock: C, _ body: @escaping @Sendable () async -> Void) async
where C.Duration == Duration {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
            } catch {
                return
            }
            await body()
        }
    }
}
