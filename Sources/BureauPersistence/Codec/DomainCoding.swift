import BureauStore
import Foundation

// Field layouts of the domain records (format 1). Each record is a struct (length-prefixed), its fields
// in the order below; a later version may append fields, which this version skips.

extension BinaryWriter {
    /// Writes a timestamp as a zigzag varint of milliseconds.
    public mutating func write(_ value: Timestamp) { writeSignedVarint(value.millisecondsSinceEpoch) }

    /// Writes a user: id, email, name, createdAt.
    public mutating func write(_ user: User) {
        structure { w in
            w.write(user.id.uuid)
            w.write(user.email)
            w.write(user.name)
            w.write(user.createdAt)
        }
    }

    /// Writes a key record: id, userID, name, lookupID, secretHash, lastFour, createdAt, lastUsedAt?, revokedAt?,
    /// then the fields of the key lifecycle, appended only when the key has them (so a key without them
    /// has the bytes it always had): expiresAt?, scope (a byte: 0 full, 1 read), flags (a byte: 1 rolled).
    public mutating func write(_ key: APIKeyRecord) {
        structure { w in
            w.write(key.id.uuid)
            w.write(key.userID.uuid)
            w.write(key.name)
            w.write(key.lookupID)
            w.write(key.secretHash)
            w.write(key.lastFour)
            w.write(key.createdAt)
            w.writeOptional(key.lastUsedAt) { $0.write($1) }
            w.writeOptional(key.revokedAt) { $0.write($1) }
            if key.hasLifecycleFields {
                w.writeOptional(key.expiresAt) { $0.write($1) }
                w.write(DomainCodes.code(of: key.scope))
                w.write(UInt8(key.isRolled ? 1 : 0))
            }
        }
    }

    /// Writes a desktop: id, ownerID, name, status, createdAt, updatedAt, ordinal.
    public mutating func write(_ desktop: Desktop) {
        structure { w in
            w.write(desktop.id.uuid)
            w.write(desktop.ownerID.uuid)
            w.write(desktop.name)
            w.write(DomainCodes.code(of: desktop.status))
            w.write(desktop.createdAt)
            w.write(desktop.updatedAt)
            w.writeVarint(desktop.ordinal)
        }
    }

    /// Writes a task: id, ownerID, desktopID, type, content, status, result?, createdAt, updatedAt, ordinal.
    public mutating func write(_ task: MissionTask) {
        structure { w in
            w.write(task.id.uuid)
            w.write(task.ownerID.uuid)
            w.write(task.desktopID.uuid)
            w.write(DomainCodes.code(of: task.type))
            w.write(task.content)
            w.write(DomainCodes.code(of: task.status))
            w.writeOptional(task.result) { $0.write($1) }
            w.write(task.createdAt)
            w.write(task.updatedAt)
            w.writeVarint(task.ordinal)
        }
    }

    /// Writes an idempotency record: userID, key, requestDigest, taskID, createdAt.
    public mutating func write(_ record: IdempotencyRecord) {
        structure { w in
            w.write(record.userID.uuid)
            w.write(record.key)
            w.write(record.requestDigest)
            w.write(record.taskID.uuid)
            w.write(record.createdAt)
        }
    }
}

extension BinaryReader {
    /// Reads a timestamp; one outside ``StoredLimits/times`` is refused.
    public mutating func readTimestamp() throws(CodecError) -> Timestamp {
        let offset = position
        let milliseconds = try readSignedVarint()
        guard let time = Timestamp(validMillisecondsSinceEpoch: milliseconds) else {
            throw .invalid(offset: offset, reason: StoredLimits.problem(time: milliseconds) ?? "time out of range")
        }
        return time
    }

    /// Reads a sequence, or an ordinal or event id made from one (`what` names it in errors); one outside
    /// ``StoredLimits/sequences`` is refused.
    public mutating func readSequence(_ what: String = "sequence") throws(CodecError) -> UInt64 {
        let offset = position
        let value = try readVarint()
        if let problem = StoredLimits.problem(sequence: value, of: what) { throw .invalid(offset: offset, reason: problem) }
        return value
    }

    /// Reads a user.
    public mutating func readUser() throws(CodecError) -> User {
        try structure { r throws(CodecError) in
            User(id: UserID(uuid: try r.readUUID()), email: try r.readString(), name: try r.readString(), createdAt: try r.readTimestamp())
        }
    }

    /// Reads a key record, with or without the appended lifecycle fields.
    public mutating func readAPIKeyRecord() throws(CodecError) -> APIKeyRecord {
        try structure { r throws(CodecError) in
            APIKeyRecord(
                id: APIKeyID(uuid: try r.readUUID()),
                userID: UserID(uuid: try r.readUUID()),
                name: try r.readString(),
                lookupID: try r.readString(),
                secretHash: try r.readString(),
                lastFour: try r.readString(),
                createdAt: try r.readTimestamp(),
                lastUsedAt: try r.readOptional { r throws(CodecError) in try r.readTimestamp() },
                revokedAt: try r.readOptional { r throws(CodecError) in try r.readTimestamp() },
                // Absent from records written before keys could expire.
                expiresAt: r.isAtEnd ? nil : try r.readOptional { r throws(CodecError) in try r.readTimestamp() },
                // Absent from records written before keys had scopes: those are full keys.
                scope: r.isAtEnd ? .full : try r.readAPIKeyScope(),
                isRolled: r.isAtEnd ? false : try r.readKeyFlags()
            )
        }
    }

    /// Reads a desktop.
    public mutating func readDesktop() throws(CodecError) -> Desktop {
        try structure { r throws(CodecError) in
            Desktop(
                id: DesktopID(uuid: try r.readUUID()),
                ownerID: UserID(uuid: try r.readUUID()),
                name: try r.readString(),
                status: try r.readDesktopStatus(),
                createdAt: try r.readTimestamp(),
                updatedAt: try r.readTimestamp(),
                ordinal: try r.readSequence("ordinal")
            )
        }
    }

    /// Reads a task.
    public mutating func readMissionTask() throws(CodecError) -> MissionTask {
        try structure { r throws(CodecError) in
            MissionTask(
                id: TaskID(uuid: try r.readUUID()),
                ownerID: UserID(uuid: try r.readUUID()),
                desktopID: DesktopID(uuid: try r.readUUID()),
                type: try r.readTaskType(),
                content: try r.readString(),
                status: try r.readTaskStatus(),
                result: try r.readOptional { r throws(CodecError) in try r.readString() },
                createdAt: try r.readTimestamp(),
                updatedAt: try r.readTimestamp(),
                ordinal: try r.readSequence("ordinal")
            )
        }
    }

    /// Reads an idempotency record.
    public mutating func readIdempotencyRecord() throws(CodecError) -> IdempotencyRecord {
        try structure { r throws(CodecError) in
            IdempotencyRecord(
                userID: UserID(uuid: try r.readUUID()),
                key: try r.readString(),
                requestDigest: try r.readString(),
                taskID: TaskID(uuid: try r.readUUID()),
                createdAt: try r.readTimestamp()
            )
        }
    }

    /// Reads a desktop status code.
    public mutating func readDesktopStatus() throws(CodecError) -> DesktopStatus {
        let offset = position
        guard let status = DomainCodes.desktopStatus(try readByte()) else { throw .invalid(offset: offset, reason: "unknown desktop status") }
        return status
    }

    /// Reads a key scope code.
    public mutating func readAPIKeyScope() throws(CodecError) -> APIKeyScope {
        let offset = position
        guard let scope = DomainCodes.apiKeyScope(try readByte()) else { throw .invalid(offset: offset, reason: "unknown API key scope") }
        return scope
    }

    /// Reads a key's flags byte: whether it was rolled (any other bit set is refused).
    public mutating func readKeyFlags() throws(CodecError) -> Bool {
        let offset = position
        let flags = try readByte()
        guard flags <= 1 else { throw .invalid(offset: offset, reason: "unknown API key flags") }
        return flags == 1
    }

    /// Reads a task status code.
    public mutating func readTaskStatus() throws(CodecError) -> TaskStatus {
        let offset = position
        guard let status = DomainCodes.taskStatus(try readByte()) else { throw .invalid(offset: offset, reason: "unknown task status") }
        return status
    }

    /// Reads a task type code.
    public mutating func readTaskType() throws(CodecError) -> TaskType {
        let offset = position
        guard let type = DomainCodes.taskType(try readByte()) else { throw .invalid(offset: offset, reason: "unknown task type") }
        return type
    }
}

/// The stable one-byte codes of the domain enums. They are part of the file format: never renumber,
/// only add.
enum DomainCodes {
    static func code(of scope: APIKeyScope) -> UInt8 {
        switch scope {
        case .full: 0
        case .read: 1
        }
    }

    static func apiKeyScope(_ code: UInt8) -> APIKeyScope? {
        switch code {
        case 0: .full
        case 1: .read
        default: nil
        }
    }

    static func code(of status: DesktopStatus) -> UInt8 {
        switch status {
        case .running: 0
        case .stopped: 1
        }
    }

    static func desktopStatus(_ code: UInt8) -> DesktopStatus? {
        switch code {
        case 0: .running
        case 1: .stopped
        default: nil
        }
    }

    static func code(of status: TaskStatus) -> UInt8 {
        switch status {
        case .queued: 0
        case .running: 1
        case .completed: 2
        case .failed: 3
        case .cancelled: 4
        }
    }

    static func taskStatus(_ code: UInt8) -> TaskStatus? {
        switch code {
        case 0: .queued
        case 1: .running
        case 2: .completed
        case 3: .failed
        case 4: .cancelled
        default: nil
        }
    }

    static func code(of type: TaskType) -> UInt8 {
        switch type {
        case .prompt: 0
        }
    }

    static func taskType(_ code: UInt8) -> TaskType? {
        code == 0 ? .prompt : nil
    }
}

extension APIKeyRecord {
    /// Whether the record has a field of the key lifecycle (an expiry, a scope other than `full`): such a record is written with them
    /// appended, and its creation under ``MutationCodec/RecordType/apiKeyCreatedWithLifecycle``, a record
    /// type a version that would drop them refuses instead of reading a key that never expires.
    public var hasLifecycleFields: Bool { expiresAt != nil || scope != .full || isRolled }
}
