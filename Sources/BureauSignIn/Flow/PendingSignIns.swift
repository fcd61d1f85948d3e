import BureauAuth
import Crypto
import Synchronization

/// A sign-in between its start and its callback: what the callback must match and finish with.
struct PendingSignIn: Sendable {
    /// The provider it was started with.
    var provider: ProviderName
    /// SHA-256 of the browser binding sent in the sign-in cookie (the cookie itself is not kept).
    var bindingDigest: SHA256Digest
    /// The PKCE verifier, needed in plaintext for the token request (and gone once it is made).
    var verifier: String
    /// SHA-256 of the `nonce` the ID token must carry (OpenID providers).
    var nonceDigest: SHA256Digest?
}

/// The sign-ins started and not yet finished, in memory: keyed by the SHA-256 of their `state` (the
/// state itself is not kept), each usable once (``take(state:)`` removes it whatever follows), for at most
/// `lifetime`, at most `capacity` of them (past it the oldest is forgotten: a flood of starts costs
/// bounded memory and can only push out sign-ins that would have been among the first to expire).
final class PendingSignIns: Sendable {
    private struct Entry {
        var signIn: PendingSignIn
        var expiresAt: UInt64
    }

    private struct State {
        var entries: [SHA256Digest: Entry] = [:]
        /// Keys in order of insertion, so of expiry (one lifetime for all); keys already taken stay until
        /// they reach the front or the queue is compacted.
        var order: [(key: SHA256Digest, expiresAt: UInt64)] = []
        /// Index of the first key of ``order`` still to look at.
        var head = 0

        var first: (key: SHA256Digest, expiresAt: UInt64)? { head < order.count ? order[head] : nil }

        mutating func dropFirst() {
            head += 1
            if head >= 64, head * 2 >= order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }

    private let state = Mutex(State())
    private let clock: any MonotonicClock
    private let lifetimeNanoseconds: UInt64
    let capacity: Int

    init(lifetime: Duration, capacity: Int, clock: any MonotonicClock) {
        let (seconds, attoseconds) = lifetime.components
        lifetimeNanoseconds = UInt64(max(seconds, 0)) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
        self.capacity = max(capacity, 1)
        self.clock = clock
    }

    /// Remembers `signIn` under the digest of `state`.
    func insert(_ signIn: PendingSignIn, state token: String) {
        let now = clock.nanosecondsNow()
        let key = RandomToken.digest(token)
        let expiresAt = now &+ lifetimeNanoseconds
        state.withLock { state in
            Self.prune(&state, now: now, room: capacity - 1)
            state.entries[key] = Entry(signIn: signIn, expiresAt: expiresAt)
            state.order.append((key, expiresAt))
            if state.order.count - state.head > 2 * capacity {
                let entries = state.entries
                state.order = state.order[state.head...].filter { entries[$0.key]?.expiresAt == $0.expiresAt }
                state.head = 0
            }
        }
    }

    /// The sign-in started with `state`, removed so that it cannot be used again; `nil` when there is none
    /// (never started here, already used, expired, or forgotten).
    func take(state token: some StringProtocol) -> PendingSignIn? {
        let now = clock.nanosecondsNow()
        let key = RandomToken.digest(token)
        return state.withLock { state -> PendingSignIn? in
            guard let entry = state.entries.removeValue(forKey: key), entry.expiresAt > now else { return nil }
            return entry.signIn
        }
    }

    /// How many sign-ins are pending (expired ones not yet swept included).
    var count: Int { state.withLock { $0.entries.count } }

    /// Drops expired entries, then the oldest until at most `room` are left.
    private static func prune(_ state: inout State, now: UInt64, room: Int) {
        while let first = state.first {
            guard state.entries[first.key]?.expiresAt == first.expiresAt else {
                state.dropFirst()
                continue
            }
            guard first.expiresAt <= now || state.entries.count > room else { break }
            state.entries[first.key] = nil
            state.dropFirst()
        }
    }
}
