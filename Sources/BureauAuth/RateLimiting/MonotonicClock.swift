#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The time source of the rate limiters: nanoseconds since an arbitrary fixed origin, never decreasing.
/// Wall-clock jumps (NTP, manual changes) do not move it, so windows and blocks keep their length.
public protocol MonotonicClock: Sendable {
    /// Nanoseconds elapsed since this clock's origin.
    func nanosecondsNow() -> UInt64
}

/// The system's monotonic clock (the one `ContinuousClock` reads: it keeps counting while the machine
/// sleeps), counted from the moment this value was created.
///
/// Read with `clock_gettime` directly: going through `ContinuousClock.Instant` and `Duration` costs 128-bit
/// arithmetic on every read, and the limiters read the clock on every request.
public struct SystemMonotonicClock: MonotonicClock {
    private let origin: UInt64

    /// A clock whose origin is now.
    public init() {
        origin = Self.systemNanoseconds()
    }

    public func nanosecondsNow() -> UInt64 {
        let now = Self.systemNanoseconds()
        return now >= origin ? now - origin : 0
    }

    private static func systemNanoseconds() -> UInt64 {
        var spec = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_BOOTTIME, &spec)
        #else
        clock_gettime(CLOCK_MONOTONIC, &spec)
        #endif
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}

/// Conversions between the limiters' nanosecond readings and the whole seconds that responses carry.
enum RateLimitTime {
    static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// `seconds` whole seconds in nanoseconds, saturating instead of overflowing.
    static func nanoseconds(seconds: Int) -> UInt64 {
        let (product, overflow) = UInt64(max(seconds, 0)).multipliedReportingOverflow(by: nanosecondsPerSecond)
        return overflow ? .max : product
    }

    /// Whole seconds covering `nanoseconds`, rounded up: a client that waits this long finds the slot free.
    static func secondsRoundedUp(_ nanoseconds: UInt64) -> Int {
        Int(nanoseconds / nanosecondsPerSecond + (nanoseconds % nanosecondsPerSecond == 0 ? 0 : 1))
    }

    /// `later - earlier`, or zero when `later` is not after `earlier`.
    static func elapsed(from earlier: UInt64, to later: UInt64) -> UInt64 {
        later > earlier ? later - earlier : 0
    }
}
