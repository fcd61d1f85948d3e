import Synchronization

extension FailedAuthBlocker {
    /// The answer to "may this client start a key check (bcrypt) now?".
    public enum CheckReservation: Sendable, Equatable {
        /// Go ahead: one of the client's failure slots is held until ``finishCheck(for:succeeded:)``.
        case granted
        /// Refused without checking, for `retryAfterSeconds` at most: the client is blocked, its failure slots
        /// are all taken (failures in the window plus checks under way), it already has `maxConcurrent`
        /// checks under way, or it cannot be tracked (the table is full: refused, so blocking fails closed).
        case refused(retryAfterSeconds: Int)
    }

    /// Takes one of `client`'s failure slots before its presented key is checked by bcrypt, so that however
    /// many checks arrive at once, failures plus checks under way never exceed ``limit`` in a window.
    /// With blocking off every check is granted (and nothing is held).
    public func reserveCheck(for client: ClientKey, maxConcurrent: Int) -> CheckReservation {
        guard !isOff else { return .granted }
        let now = clock.nanosecondsNow()
        let window = RateLimitTime.nanoseconds(seconds: windowSeconds)
        let answer = table.withState(for: client, now: now, create: true) { record -> CheckReservation in
            _ = record.prune(now: now, window: window)
            if record.isBlocked(at: now) {
                return .refused(retryAfterSeconds: max(RateLimitTime.secondsRoundedUp(record.blockedUntil - now), 1))
            }
            if Int(record.failures.count) + Int(record.checksInFlight) >= limit {
                // A slot frees when the oldest failure leaves the window (or when a check under way ends).
                let wait = record.failures.isEmpty ? 0 : record.failures.timeUntilOldestLeaves(now: now, window: window)
                return .refused(retryAfterSeconds: max(RateLimitTime.secondsRoundedUp(wait), 1))
            }
            guard Int(record.checksInFlight) < maxConcurrent else { return .refused(retryAfterSeconds: 1) }
            record.checksInFlight += 1
            return .granted
        }
        guard let answer else {
            failuresUntracked.add(1, ordering: .relaxed)
            requestsRefused.add(1, ordering: .relaxed)
            return .refused(retryAfterSeconds: blockSeconds)
        }
        if case .refused = answer { requestsRefused.add(1, ordering: .relaxed) }
        return answer
    }

    /// Gives back the slot taken by ``reserveCheck(for:maxConcurrent:)``: on success it is simply freed; on
    /// failure it becomes a counted failure (which may impose a block).
    @discardableResult
    public func finishCheck(for client: ClientKey, succeeded: Bool) -> FailureOutcome {
        guard !isOff else { return .ignored }
        let now = clock.nanosecondsNow()
        let outcome = table.withState(for: client, now: now, create: false) { record -> FailureOutcome in
            if record.checksInFlight > 0 { record.checksInFlight -= 1 }
            return succeeded ? .ignored : countFailure(in: &record, now: now)
        }
        // The record cannot have gone (a record with checks under way is neither pruned nor evicted).
        return account(outcome ?? .untracked, client: client)
    }

    /// Clients with key checks under way (a full scan: for tests and metrics).
    public var clientsCheckingKeys: Int {
        table.countEntries { $0.checksInFlight > 0 }
    }
}
