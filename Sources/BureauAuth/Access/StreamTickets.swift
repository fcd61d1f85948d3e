import BureauStore
import Crypto
import Synchronization

/// Single-use tickets for the activity stream, so that no key need appear in a URL: a request with any
/// credential gets a random ticket (256 bits from the system's CSPRNG, as 64 hex digits) valid for
/// ``lifetimeMilliseconds``; the stream accepts it once, in place of `?apiKey=`, and acts for the
/// credential that made it (so revoking that key or ending that session closes the stream).
///
/// Only the SHA-256 digest of a ticket is kept. Memory is bounded: at most ``capacity`` tickets at once and
/// ``perUser`` per user; expired tickets are dropped when a bound is reached, and past it issuing is refused.
public final class StreamTickets: Sendable {
    /// How long a ticket is valid: 60 seconds.
    public static let lifetimeMilliseconds: Int64 = 60_000
    /// Most tickets held at once, server-wide.
    public let capacity: Int
    /// Most tickets one user holds at once.
    public let perUser: Int

    private struct Entry {
        var principal: Principal
        var expiresAt: Timestamp
    }

    private struct State {
        var entries: [SHA256Digest: Entry] = [:]
        var countByUser: [UserID: Int] = [:]

        mutating func remove(_ digest: SHA256Digest) -> Entry? {
            guard let entry = entries.removeValue(forKey: digest) else { return nil }
            let left = (countByUser[entry.principal.userID] ?? 1) - 1
            countByUser[entry.principal.userID] = left > 0 ? left : nil
            return entry
        }

        mutating func dropExpired(at now: Timestamp) {
            for (digest, entry) in entries where entry.expiresAt <= now { _ = remove(digest) }
        }
    }

    private let state = Mutex(State())

    /// A ticket store holding at most `capacity` tickets, `perUser` of them per user.
    public init(capacity: Int = 100_000, perUser: Int = 32) {
        self.capacity = max(capacity, 1)
        self.perUser = max(perUser, 1)
    }

    /// What issuing came to.
    public enum Issue: Sendable, Equatable {
        /// The ticket (shown this once: only its digest is kept) and when it stops being accepted.
        case issued(ticket: String, expiresAt: Timestamp)
        /// The user (or the server) holds as many unused, unexpired tickets as it may.
        case full
    }

    /// A new ticket for `principal`, valid from `now` for ``lifetimeMilliseconds``.
    public func issue(for principal: Principal, at now: Timestamp) -> Issue {
        var generator = SystemRandomNumberGenerator()
        var ticket = ""
        ticket.reserveCapacity(64)
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            for shift in stride(from: 60, through: 0, by: -4) {
                ticket.append(Self.hexDigits[Int((word >> UInt64(shift)) & 0xF)])
            }
        }
        let digest = Self.digest(ticket)
        let expiresAt = now.adding(milliseconds: Self.lifetimeMilliseconds)
        let admitted = state.withLock { state -> Bool in
            if state.entries.count >= capacity || (state.countByUser[principal.userID] ?? 0) >= perUser {
                state.dropExpired(at: now)
            }
            guard state.entries.count < capacity, (state.countByUser[principal.userID] ?? 0) < perUser else { return false }
            state.entries[digest] = Entry(principal: principal, expiresAt: expiresAt)
            state.countByUser[principal.userID, default: 0] += 1
            return true
        }
        return admitted ? .issued(ticket: ticket, expiresAt: expiresAt) : .full
    }

    /// The credential that made `ticket`, if it is a ticket issued here, unused and unexpired at `now`. It is
    /// used up either way: a second presentation finds nothing.
    public func redeem(_ ticket: some StringProtocol, at now: Timestamp) -> Principal? {
        let digest = Self.digest(ticket)
        guard let entry = state.withLock({ $0.remove(digest) }), now < entry.expiresAt else { return nil }
        return entry.principal
    }

    /// Tickets held now (issued, not yet used, expired ones not yet dropped).
    public var count: Int { state.withLock { $0.entries.count } }

    private static let hexDigits = Array("0123456789abcdef")

    private static func digest(_ ticket: some StringProtocol) -> SHA256Digest {
        SHA256.hash(data: Array(ticket.utf8))
    }
}
