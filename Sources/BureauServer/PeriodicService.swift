import Logging
import ServiceLifecycle

/// Runs `action` every `interval` on `clock`, and once more at graceful shutdown so nothing noted is lost.
/// Tests drive it with their own clock.
public struct PeriodicService<C: Clock>: Service where C.Duration == Duration {
    let name: String
    let interval: Duration
    let clock: C
    let logger: Logger
    let action: @Sendable () async throws -> Void

    public init(name: String, interval: Duration, clock: C, logger: Logger, action: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.clock = clock
        self.logger = logger
        self.action = action
    }

    public func run() async throws {
        await repeatUntilGracefulShutdown(every: interval, on: clock) { await runAction() }
        await runAction()
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
