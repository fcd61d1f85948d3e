import BureauAuth
import Synchronization

/// A ``MonotonicClock`` that moves only when told to: tests (and the limiter benchmark, which must not
/// see time pass) drive windows and blocks with it instead of sleeping.
package final class ManualMonotonicClock: MonotonicClock {
    private let current: Atomic<UInt64>

    /// A clock reading `nanoseconds`.
    package init(nanoseconds: UInt64 = 0) {
        current = Atomic(nanoseconds)
    }

    package func nanosecondsNow() -> UInt64 {
        current.load(ordering: .acquiring)
    }

    /// Moves the clock forward by `duration` (which must not be negative).
    package func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        precondition(seconds >= 0 && attoseconds >= 0, "a clock cannot move backwards")
        current.add(UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000), ordering: .acquiringAndReleasing)
    }
}
