/// What the failed-API-key blocker remembers of one client.
struct FailedAuthRecord: Sendable {
    /// Failed attempts inside the failure window.
    var failures = TimestampWindow()
    /// Blocks in the client's current offence streak: the next block lasts `base × 2^offences`, capped.
    var offences: Int32 = 0
    /// End of the latest block (meaningful while `offences > 0`).
    var blockedUntil: UInt64 = 0
    /// When the offence streak is forgotten: a quiet period of the maximum block duration after the latest
    /// block ended.
    var offencesExpireAt: UInt64 = 0
    /// Key checks (bcrypt) under way for the client: each holds one of its failure slots until it ends.
    var checksInFlight: Int32 = 0

    /// Whether the client is blocked at `now`.
    func isBlocked(at now: UInt64) -> Bool {
        offences > 0 && now < blockedUntil
    }

    /// Forgets failures that left the window and an offence streak whose quiet period has passed.
    /// Returns whether nothing is left (the record can be dropped).
    mutating func prune(now: UInt64, window: UInt64) -> Bool {
        failures.removeExpired(now: now, window: window)
        failures.compact()
        if offences > 0, now >= offencesExpireAt {
            offences = 0
            blockedUntil = 0
            offencesExpireAt = 0
        }
        return failures.isEmpty && offences == 0 && checksInFlight == 0
    }

    /// Eviction order under memory pressure: an active block, or a client with checks under way (whose
    /// slots must be given back), never (`nil`); otherwise the least recently active first (latest failure
    /// or block end).
    func evictionRank(now: UInt64) -> UInt64? {
        if isBlocked(at: now) || checksInFlight > 0 { return nil }
        return max(failures.newest ?? 0, offences > 0 ? blockedUntil : 0)
    }

    /// Starts the next block at `now`: `baseSeconds` doubled for each earlier block of the streak, at most
    /// `maxSeconds`. Clears the failures (they are what the block answers). Returns the duration in seconds.
    mutating func imposeBlock(now: UInt64, baseSeconds: Int, maxSeconds: Int) -> Int {
        offences = offences < Int32.max ? offences + 1 : offences
        var seconds = min(baseSeconds, maxSeconds)
        var doublings = offences - 1
        while doublings > 0, seconds < maxSeconds {
            seconds = min(seconds * 2, maxSeconds)
            doublings -= 1
        }
        let end = now.addingReportingOverflow(RateLimitTime.nanoseconds(seconds: seconds))
        blockedUntil = end.overflow ? .max : end.partialValue
        let expiry = blockedUntil.addingReportingOverflow(RateLimitTime.nanoseconds(seconds: maxSeconds))
        offencesExpireAt = expiry.overflow ? .max : expiry.partialValue
        failures.removeAll()
        return seconds
    }
}
