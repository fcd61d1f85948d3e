import BureauStore

// Field layouts of recent activity in snapshots (section `activity`). Like the other records, each is a
// length-prefixed struct, so a later version may append fields.

extension BinaryWriter {
    /// Writes one user's recent activity: userID, droppedThrough?, event count, events.
    public mutating func write(_ record: UserActivityRecord) {
        structure { w in
            w.write(record.userID.uuid)
            w.writeOptional(record.droppedThrough) { $0.write($1) }
            w.writeVarint(UInt64(record.events.count))
            for event in record.events { w.write(event) }
        }
    }

    /// Writes an event id: sequence, index.
    public mutating func write(_ id: ActivityEventID) {
        writeVarint(id.sequence)
        writeVarint(UInt64(id.index))
    }

    /// Writes an event: id, kind, at, userID, subject (a tag, then the task, desktop or key summary).
    public mutating func write(_ event: ActivityEvent) {
        structure { w in
            w.write(event.id)
            w.write(ActivityCodes.code(of: event.kind))
            w.write(event.at)
            w.write(event.userID.uuid)
            switch event.subject {
            case .task(let task):
                w.write(ActivityCodes.taskSubject)
                w.write(task)
            case .desktop(let desktop):
                w.write(ActivityCodes.desktopSubject)
                w.write(desktop)
            case .apiKey(let key):
                w.write(ActivityCodes.apiKeySubject)
                w.structure { w in
                    w.write(key.id.uuid)
                    w.write(key.name)
                    w.write(key.lastFour)
                    w.write(key.createdAt)
                }
            }
        }
    }
}

extension BinaryReader {
    /// Reads one user's recent activity.
    public mutating func readUserActivityRecord() throws(CodecError) -> UserActivityRecord {
        try structure { r throws(CodecError) in
            let userID = UserID(uuid: try r.readUUID())
            let dropped = try r.readOptional { r throws(CodecError) in try r.readActivityEventID() }
            let count = try r.readCount(minimumSize: 17)
            var events: [ActivityEvent] = []
            events.reserveCapacity(count)
            for _ in 0..<count { events.append(try r.readActivityEvent()) }
            return UserActivityRecord(userID: userID, droppedThrough: dropped, events: events)
        }
    }

    /// Reads an event id.
    public mutating func readActivityEventID() throws(CodecError) -> ActivityEventID {
        let sequence = try readVarint()
        let offset = position
        guard let index = UInt32(exactly: try readVarint()) else { throw .invalid(offset: offset, reason: "event index out of range") }
        return ActivityEventID(sequence: sequence, index: index)
    }

    /// Reads an event.
    public mutating func readActivityEvent() throws(CodecError) -> ActivityEvent {
        try structure { r throws(CodecError) in
            let id = try r.readActivityEventID()
            let kindOffset = r.position
            guard let kind = ActivityCodes.kind(try r.readByte()) else { throw .invalid(offset: kindOffset, reason: "unknown activity kind") }
            let at = try r.readTimestamp()
            let userID = UserID(uuid: try r.readUUID())
            let subjectOffset = r.position
            let subject: ActivitySubject
            switch try r.readByte() {
            case ActivityCodes.taskSubject: subject = .task(try r.readMissionTask())
            case ActivityCodes.desktopSubject: subject = .desktop(try r.readDesktop())
            case ActivityCodes.apiKeySubject:
                subject = .apiKey(
                    try r.structure { r throws(CodecError) in
                        APIKeySummary(
                            id: APIKeyID(uuid: try r.readUUID()),
                            name: try r.readString(),
                            lastFour: try r.readString(),
                            createdAt: try r.readTimestamp()
                        )
                    }
                )
            default: throw .invalid(offset: subjectOffset, reason: "unknown activity subject")
            }
            return ActivityEvent(id: id, kind: kind, at: at, userID: userID, subject: subject)
        }
    }
}

/// The stable one-byte codes of activity kinds and subjects: part of the file format, never renumber.
enum ActivityCodes {
    static let taskSubject: UInt8 = 1
    static let desktopSubject: UInt8 = 2
    static let apiKeySubject: UInt8 = 3

    private static let kinds: [(ActivityKind, UInt8)] = [
        (.taskCreated, 1), (.taskUpdated, 2), (.desktopCreated, 3), (.desktopUpdated, 4),
        (.desktopDeleted, 5), (.apiKeyCreated, 6), (.apiKeyRevoked, 7),
    ]

    static func code(of kind: ActivityKind) -> UInt8 {
        kinds.first { $0.0 == kind }?.1 ?? 0
    }

    static func kind(_ code: UInt8) -> ActivityKind? {
        kinds.first { $0.1 == code }?.0
    }
}
