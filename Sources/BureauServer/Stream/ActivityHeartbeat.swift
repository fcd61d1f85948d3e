import BureauStore
import ServiceLifecycle

/// Sends the `: keep-alive` comment to every open activity stream each `interval` of `clock` (one timer
/// for all streams, not one per stream), and at graceful shutdown closes them all. On the same beat it
/// closes the streams opened with a key that has expired since (an expiry is no commit, so no commit
/// closes them): such a stream ends at most one interval after its key's instant. Tests drive it with
/// their own clock.
public struct ActivityHeartbeat<C: Clock>: Service where C.Duration == Duration {
    let hub: ActivityHub
    let interval: Duration
    let clock: C
    let store: BureauStore?

    /// Heartbeats for `hub`'s streams every `interval` on `clock`, closing those whose key `store` says
    /// has expired.
    public init(hub: ActivityHub, interval: Duration, clock: C, store: BureauStore? = nil) {
        self.hub = hub
        self.interval = interval
        self.clock = clock
        self.store = store
    }

    public func run() async throws {
        await repeatUntilGracefulShutdown(every: interval, on: clock) { [hub, store] in
            if let store { hub.closeStreamsOfExpiredKeys(in: store) }
            hub.heartbeat()
        }
        hub.shutDown()
    }
}
