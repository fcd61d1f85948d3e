import BureauStore

/// Encodes a ``Mutation`` as a log record's type byte and payload, and back.
///
/// The type byte names the kind (stable numbers, only ever added to); the payload is the kind's fields
/// in the persistence encoding. A payload may carry fields appended by a later version: they are
/// skipped. A type this version does not know is refused with ``CodecError/unknownMutationType(_:)``.
public enum MutationCodec {
    /// The record type byte of each kind.
    public enum RecordType: UInt8, CaseIterable, Sendable {
        case userCreated = 1
        case apiKeyCreated = 2
        case apiKeyRevoked = 3
        case apiKeysUsed = 4
        case desktopCreated = 5
        case desktopUpdated = 6
        case desktopDeleted = 7
        case taskCreated = 8
        case taskUpdated = 9
        case sessionCreated = 10
        case sessionEnded = 11
        case sessionsUsed = 12
        case sessionsPruned = 13
        case idempotencyExpired = 14
        /// A key created with fields of the key lifecycle (an expiry): the same payload as `apiKeyCreated`
        /// with them appended. A key without them is still written as `apiKeyCreated`.
        case apiKeyCreatedWithLifecycle = 15
        /// A key rolled: its id, its new expiry, the time, then its successor's record.
        case apiKeyRolled = 16
        /// A key revoked as reported leaked: the payload of `apiKeyRevoked`.
        case apiKeyLeaked = 17
        /// Keys revoked as unused: the time, the days without use, then the key ids.
        case apiKeysRevokedUnused = 18
    }

    /// The record type and payload of `mutation`.
    public static func encode(_ mutation: Mutation) -> (type: UInt8, payload: [UInt8]) {
        var w = BinaryWriter(capacity: 128)
        let type: RecordType
        switch mutation {
        case .userCreated(let user):
            type = .userCreated
            w.write(user)
        case .apiKeyCreated(let key):
            type = key.hasLifecycleFields ? .apiKeyCreatedWithLifecycle : .apiKeyCreated
            w.write(key)
        case .apiKeyRevoked(let revocation):
            type = .apiKeyRevoked
            w.write(revocation.id.uuid)
            w.write(revocation.at)
        case .apiKeyLeaked(let revocation):
            type = .apiKeyLeaked
            w.write(revocation.id.uuid)
            w.write(revocation.at)
        case .apiKeyRolled(let roll):
            type = .apiKeyRolled
            w.write(roll.id.uuid)
            w.write(roll.expiresAt)
            w.write(roll.at)
            w.write(roll.successor)
        case .apiKeysUsed(let uses):
            type = .apiKeysUsed
            w.writeVarint(UInt64(uses.count))
            for use in uses {
                w.structure { w in
                    w.write(use.id.uuid)
                    w.write(use.at)
                    // Appended since the usage history: a reader of an older version skips them.
                    w.write(use.requests)
                    w.writeOptional(use.client) { $0.write($1) }
                }
            }
        case .apiKeysRevokedUnused(let revocation):
            type = .apiKeysRevokedUnused
            w.write(revocation.at)
            w.writeVarint(UInt64(revocation.unusedDays))
            w.writeVarint(UInt64(revocation.ids.count))
            for id in revocation.ids { w.write(id.uuid) }
        case .desktopCreated(let desktop):
            type = .desktopCreated
            w.write(desktop)
        case .desktopUpdated(let change):
            type = .desktopUpdated
            w.write(change.id.uuid)
            w.writeOptional(change.name) { $0.write($1) }
            w.writeOptional(change.status) { $0.write(DomainCodes.code(of: $1)) }
            w.write(change.at)
        case .desktopDeleted(let deletion):
            type = .desktopDeleted
            w.write(deletion.id.uuid)
            w.write(deletion.at)
        case .taskCreated(let creation):
            type = .taskCreated
            w.write(creation.task)
            w.writeOptional(creation.idempotency) { $0.write($1) }
        case .taskUpdated(let change):
            type = .taskUpdated
            w.write(change.id.uuid)
            w.write(DomainCodes.code(of: change.status))
            w.writeOptional(change.result) { $0.write($1) }
            w.write(change.at)
        case .sessionCreated(let session):
            type = .sessionCreated
            w.write(session)
        case .sessionEnded(let ending):
            type = .sessionEnded
            w.write(ending.id.uuid)
            w.write(ending.at)
        case .sessionsUsed(let uses):
            type = .sessionsUsed
            w.writeSessionTimes(uses.map { ($0.id, $0.at) })
        case .sessionsPruned(let pruning):
            type = .sessionsPruned
            w.write(pruning.at)
            w.writeVarint(UInt64(pruning.ids.count))
            for id in pruning.ids { w.write(id.uuid) }
        case .idempotencyExpired(let expiry):
            type = .idempotencyExpired
            w.write(expiry.at)
        }
        return (type.rawValue, w.bytes)
    }

    /// Decodes the payload in `range` of `bytes` as a mutation of record type `type`.
    public static func decode(type: UInt8, _ bytes: [UInt8], range: Range<Int>? = nil) throws(CodecError) -> Mutation {
        guard let recordType = RecordType(rawValue: type) else { throw .unknownMutationType(type) }
        var r = BinaryReader(bytes, range: range)
        switch recordType {
        case .userCreated:
            return .userCreated(try r.readUser())
        case .apiKeyCreated, .apiKeyCreatedWithLifecycle:
            return .apiKeyCreated(try r.readAPIKeyRecord())
        case .apiKeyRevoked:
            return .apiKeyRevoked(APIKeyRevocation(id: APIKeyID(uuid: try r.readUUID()), at: try r.readTimestamp()))
        case .apiKeyLeaked:
            return .apiKeyLeaked(APIKeyRevocation(id: APIKeyID(uuid: try r.readUUID()), at: try r.readTimestamp()))
        case .apiKeyRolled:
            let id = APIKeyID(uuid: try r.readUUID())
            let expiresAt = try r.readTimestamp()
            let at = try r.readTimestamp()
            return .apiKeyRolled(APIKeyRoll(id: id, expiresAt: expiresAt, successor: try r.readAPIKeyRecord(), at: at))
        case .apiKeysUsed:
            let count = try r.readCount(minimumSize: 2)
            var uses: [APIKeyUse] = []
            uses.reserveCapacity(count)
            for _ in 0..<count {
                uses.append(
                    try r.structure { r throws(CodecError) in
                        var use = APIKeyUse(id: APIKeyID(uuid: try r.readUUID()), at: try r.readTimestamp())
                        // Records written before the usage history end here.
                        if !r.isAtEnd {
                            use.requests = try r.readDailyRequests()
                            use.client = try r.readOptional { r throws(CodecError) in try r.readClientAddress() }
                        }
                        return use
                    }
                )
            }
            return .apiKeysUsed(uses)
        case .apiKeysRevokedUnused:
            let at = try r.readTimestamp()
            let offset = r.position
            guard let days = Int(exactly: try r.readVarint()), days <= 1_000_000 else {
                throw .invalid(offset: offset, reason: "days without use out of range")
            }
            let count = try r.readCount(minimumSize: 16)
            var ids: [APIKeyID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(APIKeyID(uuid: try r.readUUID())) }
            return .apiKeysRevokedUnused(UnusedKeysRevocation(ids: ids, unusedDays: days, at: at))
        case .desktopCreated:
            return .desktopCreated(try r.readDesktop())
        case .desktopUpdated:
            return .desktopUpdated(
                DesktopChange(
                    id: DesktopID(uuid: try r.readUUID()),
                    name: try r.readOptional { r throws(CodecError) in try r.readString() },
                    status: try r.readOptional { r throws(CodecError) in try r.readDesktopStatus() },
                    at: try r.readTimestamp()
                )
            )
        case .desktopDeleted:
            return .desktopDeleted(DesktopDeletion(id: DesktopID(uuid: try r.readUUID()), at: try r.readTimestamp()))
        case .taskCreated:
            return .taskCreated(
                TaskCreation(
                    task: try r.readMissionTask(),
                    idempotency: try r.readOptional { r throws(CodecError) in try r.readIdempotencyRecord() }
                )
            )
        case .taskUpdated:
            return .taskUpdated(
                TaskChange(
                    id: TaskID(uuid: try r.readUUID()),
                    status: try r.readTaskStatus(),
                    result: try r.readOptional { r throws(CodecError) in try r.readString() },
                    at: try r.readTimestamp()
                )
            )
        case .sessionCreated:
            return .sessionCreated(try r.readSessionRecord())
        case .sessionEnded:
            return .sessionEnded(SessionEnding(id: SessionID(uuid: try r.readUUID()), at: try r.readTimestamp()))
        case .sessionsUsed:
            return .sessionsUsed(try r.readSessionTimes().map { SessionUse(id: $0.0, at: $0.1) })
        case .sessionsPruned:
            let at = try r.readTimestamp()
            let count = try r.readCount(minimumSize: 16)
            var ids: [SessionID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(SessionID(uuid: try r.readUUID())) }
            return .sessionsPruned(SessionPruning(ids: ids, at: at))
        case .idempotencyExpired:
            return .idempotencyExpired(IdempotencyExpiry(at: try r.readTimestamp()))
        }
    }
}
