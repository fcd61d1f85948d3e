import ServiceLifecycle

/// Sends the `: keep-alive` comment to every open activity stream each `interval` of `clock` (one timer
/// for all streams, not one per stream), and at graceful shutdown closes them all. Tests drive it with
/// their own clock.
public struct ActivityHeartbeat<C: Clock>: Service where C.Duration == Duration {
    let hub: ActivityHub
    let interval: Duration
    let clock: C

    /// Heartbeats for `hub`'s streams every `interval` on `clock`.
    public init(hub: ActivityHub, interval: Duration, clock: C) {
        self.hub = hub
        self.interval = interval
        self.clock = clock
    }

    public func run() async throws {
        await repeatUntilGracefulShutdown(every: interval, on: clock) { [hub] in hub.heartbeat() }
        hub.shutDown()
    }
}
