import BureauStore
import Foundation

/// Deterministic records and histories for tests.
enum Sample {
    /// A UUID made from a kind byte and a number, so ids are stable and distinct.
    static func uuid(_ kind: UInt8, _ number: UInt64) -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = kind
        for index in 0..<8 { bytes[8 + index] = UInt8(truncatingIfNeeded: number >> UInt64(56 - index * 8)) }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12],
                bytes[13], bytes[14], bytes[15]
            )
        )
    }

    static func time(_ offset: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: 1_790_000_000_000 + offset) }

    static func user(_ n: UInt64) -> User {
        User(id: UserID(uuid: uuid(1, n)), email: "user\(n)@example.com", name: "User Ünïcode \(n)", createdAt: time(Int64(n)))
    }

    static func key(_ n: UInt64, of user: UInt64, hash: String = "$2b$04$abcdefghijklmnopqrstuu5Zb1x9qK1vJ0n3cHq4m8S1eW0yZ9yDa") -> APIKeyRecord {
        APIKeyRecord(
            id: APIKeyID(uuid: uuid(2, n)),
            userID: UserID(uuid: uuid(1, user)),
            name: "key \(n)",
            lookupID: "lookup\(n)",
            secretHash: hash,
            lastFour: "9f3a",
            createdAt: time(Int64(n))
        )
    }

    /// The successor of `key` in a roll.
    static func rolledTo(_ key: APIKeyRecord) -> APIKeyRecord {
        var successor = Sample.key(6, of: 2)
        successor.scope = key.scope
        successor.name = key.name
        return successor
    }

    static func desktop(_ n: UInt64, of user: UInt64, ordinal: UInt64) -> Desktop {
        Desktop(
            id: DesktopID(uuid: uuid(3, n)),
            ownerID: UserID(uuid: uuid(1, user)),
            name: "desktop \(n)",
            status: .running,
            createdAt: time(Int64(n)),
            updatedAt: time(Int64(n)),
            ordinal: ordinal
        )
    }

    static func task(_ n: UInt64, of user: UInt64, on desktop: UInt64, ordinal: UInt64, content: String? = nil) -> MissionTask {
        MissionTask(
            id: TaskID(uuid: uuid(4, n)),
            ownerID: UserID(uuid: uuid(1, user)),
            desktopID: DesktopID(uuid: uuid(3, desktop)),
            type: .prompt,
            content: content ?? "do thing \(n)",
            status: .queued,
            result: nil,
            createdAt: time(Int64(n)),
            updatedAt: time(Int64(n)),
            ordinal: ordinal
        )
    }

    /// One mutation of every kind, in an order that applies to an empty state (sequences 1...).
    static func everyKind() -> [Mutation] {
        let task = task(1, of: 1, on: 1, ordinal: 5)
        let idempotency = IdempotencyRecord(
            userID: UserID(uuid: uuid(1, 1)),
            key: "idem-1",
            requestDigest: String(repeating: "ab", count: 32),
            taskID: task.id,
            createdAt: time(5)
        )
        var revokedLater = key(2, of: 1)
        revokedLater.lastUsedAt = time(1)
        var expiring = key(4, of: 2)
        expiring.expiresAt = time(40)
        var reader = key(5, of: 2)
        reader.scope = .read
        return [
            .userCreated(user(1)),
            .userCreated(user(2)),
            .apiKeyCreated(key(1, of: 1)),
            .apiKeyCreated(revokedLater),
            .desktopCreated(desktop(1, of: 1, ordinal: 5)),
            .taskCreated(TaskCreation(task: task, idempotency: idempotency)),
            .taskCreated(TaskCreation(task: Sample.task(2, of: 1, on: 1, ordinal: 7), idempotency: nil)),
            .taskUpdated(TaskChange(id: task.id, status: .running, result: nil, at: time(8))),
            .taskUpdated(TaskChange(id: task.id, status: .completed, result: "done ✓", at: time(9))),
            .apiKeysUsed([APIKeyUse(id: APIKeyID(uuid: uuid(2, 1)), at: time(10)), APIKeyUse(id: APIKeyID(uuid: uuid(2, 2)), at: time(10))]),
            .desktopUpdated(DesktopChange(id: DesktopID(uuid: uuid(3, 1)), name: "renamed", status: .stopped, at: time(11))),
            .desktopUpdated(DesktopChange(id: DesktopID(uuid: uuid(3, 1)), name: nil, status: nil, at: time(12))),
            .apiKeyRevoked(APIKeyRevocation(id: APIKeyID(uuid: uuid(2, 2)), at: time(13))),
            .desktopCreated(desktop(2, of: 2, ordinal: 14)),
            .desktopDeleted(DesktopDeletion(id: DesktopID(uuid: uuid(3, 1)), at: time(15))),
            .sessionCreated(session(1, of: 1, at: 16)),
            .sessionCreated(session(2, of: 1, at: 16)),
            .sessionCreated(session(3, of: 2, at: 17)),
            .sessionsUsed([SessionUse(id: session(1, of: 1, at: 16).id, at: time(18))]),
            .sessionEnded(SessionEnding(id: session(2, of: 1, at: 16).id, at: time(19))),
            .sessionsPruned(SessionPruning(ids: [session(3, of: 2, at: 17).id], at: time(20))),
            .idempotencyExpired(IdempotencyExpiry(at: time(21))),
            // Appended, so that the histories of earlier formats (prefixes of this one) stay as they were.
            .apiKeyCreated(expiring),
            .apiKeyCreated(reader),
            .apiKeyRolled(APIKeyRoll(id: reader.id, expiresAt: time(60), successor: rolledTo(reader), at: time(30))),
            .apiKeyLeaked(APIKeyRevocation(id: APIKeyID(uuid: uuid(2, 6)), at: time(31))),
            .apiKeysUsed([
                APIKeyUse(
                    id: APIKeyID(uuid: uuid(2, 1)),
                    at: time(32),
                    requests: [
                        DailyRequests(day: UsageDay(number: UsageDay(time(0)).number - 3), count: 3),
                        DailyRequests(day: UsageDay(time(32)), count: 70_000),
                    ],
                    client: "2001:db8::7"
                )
            ]),
            .apiKeysRevokedUnused(UnusedKeysRevocation(ids: [APIKeyID(uuid: uuid(2, 1)), APIKeyID(uuid: uuid(2, 4))], unusedDays: 30, at: time(33))),
        ]
    }

    /// Session `n` of user `user`, started (and last seen) at `time(at)`, its digest derived from `n`.
    static func session(_ n: UInt64, of user: UInt64, at offset: Int64) -> SessionRecord {
        SessionRecord(
            id: SessionID(uuid: uuid(6, n)),
            userID: UserID(uuid: uuid(1, user)),
            digest: SessionDigest(bytes: (0..<32).map { UInt8(truncatingIfNeeded: Int($0) * 7 + Int(n)) })!,
            createdAt: time(offset),
            lastSeenAt: time(offset)
        )
    }

    /// A user, a desktop, then `tasks` task creations (sequences 1 ... tasks + 2).
    static func tasks(_ tasks: Int, contentSize: Int = 40) -> [Mutation] {
        var mutations: [Mutation] = [.userCreated(user(1)), .desktopCreated(desktop(1, of: 1, ordinal: 2))]
        for n in 0..<tasks {
            let content = "task \(n) " + String(repeating: "x", count: max(0, contentSize - 10))
            mutations.append(
                .taskCreated(TaskCreation(task: task(UInt64(n), of: 1, on: 1, ordinal: UInt64(n + 3), content: content), idempotency: nil))
            )
        }
        return mutations
    }

    /// The state after applying `mutations` from sequence 1.
    static func state(after mutations: [Mutation]) throws -> StoreState {
        var state = StoreState()
        for (index, mutation) in mutations.enumerated() { try state.apply(mutation, sequence: UInt64(index + 1)) }
        return state
    }
}
