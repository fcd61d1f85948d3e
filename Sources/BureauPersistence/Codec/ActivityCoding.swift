import BureauStore

// Field layouts of recent activity in snapshots (section `activity`). Like the other records, each is a
// length-prefixed struct, so a later version may append fields.
//
// Since format 3 an event whose task or desktop is, field for field, the one the same snapshot stores
// (a `task.created` event of a task never changed since, the latest event of each task) names it by its
// position in the `tasks` or `desktops` section instead of repeating it; the reader hands the event the
// very record it decoded there, so the two share their storage in memory as they did before the restart.

/// Finds, for an event's task or desktop, the position of an equal record in the snapshot's sections.
///
/// Both sections list each owner's records in creation order, that is by ascending ordinal, so a
/// record is found by a binary search in its owner's run: no map of a million ids is built to write a
/// snapshot. A record found nowhere (or found but different) is written in full, so the search only
/// has to be right when it answers.
public struct ActivitySubjectIndex {
    private let tasks: [MissionTask]
    private let desktops: [Desktop]
    private let taskRuns: [UserID: Range<Int>]
    private let desktopRuns: [UserID: Range<Int>]

    /// An index of the tasks and desktops `records` stores (an empty one when it holds no activity).
    public init(_ records: StateRecords) {
        guard !records.activity.isEmpty else {
            (tasks, desktops, taskRuns, desktopRuns) = ([], [], [:], [:])
            return
        }
        tasks = records.tasks
        desktops = records.desktops
        taskRuns = Self.runs(of: records.tasks, owner: \.ownerID)
        desktopRuns = Self.runs(of: records.desktops, owner: \.ownerID)
    }

    /// Where the records of `userID` are, for the events of that user.
    func scope(of userID: UserID) -> Scope {
        Scope(index: self, tasks: taskRuns[userID] ?? 0..<0, desktops: desktopRuns[userID] ?? 0..<0)
    }

    /// The runs of one user's records.
    struct Scope {
        let index: ActivitySubjectIndex
        let tasks: Range<Int>
        let desktops: Range<Int>

        /// The position of the stored task equal to `task`, if there is one.
        func position(of task: MissionTask) -> Int? {
            guard let position = Self.search(index.tasks, in: tasks, ordinal: task.ordinal, ordinalOf: \.ordinal) else { return nil }
            return index.tasks[position] == task ? position : nil
        }

        /// The position of the stored desktop equal to `desktop`, if there is one.
        func position(of desktop: Desktop) -> Int? {
            guard let position = Self.search(index.desktops, in: desktops, ordinal: desktop.ordinal, ordinalOf: \.ordinal) else {
                return nil
            }
            return index.desktops[position] == desktop ? position : nil
        }

        /// The position in `range` of the record with `ordinal`, the range being sorted by ordinal.
        private static func search<Record>(
            _ records: [Record],
            in range: Range<Int>,
            ordinal: UInt64,
            ordinalOf: (Record) -> UInt64
        ) -> Int? {
            var (low, high) = (range.lowerBound, range.upperBound)
            while low < high {
                let middle = low + (high - low) / 2
                let found = ordinalOf(records[middle])
                if found == ordinal { return middle }
                if found < ordinal { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    /// The first run of consecutive records of each owner.
    private static func runs<Record>(of records: [Record], owner: (Record) -> UserID) -> [UserID: Range<Int>] {
        var runs: [UserID: Range<Int>] = [:]
        var start = 0
        while start < records.count {
            let ownerID = owner(records[start])
            var end = start + 1
            while end < records.count, owner(records[end]) == ownerID { end += 1 }
            if runs[ownerID] == nil { runs[ownerID] = start..<end }
            start = end
        }
        return runs
    }
}

extension BinaryWriter {
    /// Writes one user's recent activity: userID, droppedThrough?, event count, events (subjects that
    /// `subjects` finds written as references).
    public mutating func write(_ record: UserActivityRecord, subjects: ActivitySubjectIndex) {
        structure { w in
            w.write(record.userID.uuid)
            w.writeOptional(record.droppedThrough) { $0.write($1) }
            w.writeVarint(UInt64(record.stored.count))
            let scope = subjects.scope(of: record.userID)
            for event in record.stored { w.write(event, of: record.userID, keys: record.keys, subjects: scope) }
        }
    }

    /// Writes an event id: sequence, index.
    public mutating func write(_ id: ActivityEventID) {
        writeVarint(id.sequence)
        writeVarint(UInt64(id.index))
    }

    /// Writes an event of `userID`: id, kind, at, userID, subject (a tag, then the task, desktop or key
    /// summary, or the position of the task or desktop `subjects` finds in the snapshot). A key event stored
    /// by id has its summary read from `keys`.
    mutating func write(_ event: StoredActivityEvent, of userID: UserID, keys: APIKeyTable?, subjects: ActivitySubjectIndex.Scope) {
        structure { w in
            w.write(event.id)
            w.write(ActivityCodes.code(of: event.kind))
            w.write(event.at)
            w.write(userID.uuid)
            switch event.subject {
            case .task(let task):
                if let position = subjects.position(of: task) {
                    w.write(ActivityCodes.storedTaskSubject)
                    w.writeVarint(UInt64(position))
                } else {
                    w.write(ActivityCodes.taskSubject)
                    w.write(task)
                }
            case .desktop(let desktop):
                if let position = subjects.position(of: desktop) {
                    w.write(ActivityCodes.storedDesktopSubject)
                    w.writeVarint(UInt64(position))
                } else {
                    w.write(ActivityCodes.desktopSubject)
                    w.write(desktop)
                }
            case .apiKeySummary, .apiKey:
                guard case .apiKeySummary(let key) = event.withSummary(keys: keys).subject else {
                    preconditionFailure("a key event without its summary")
                }
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
    /// Reads one user's recent activity, keeping its newest `keeping` events (the others are read, then
    /// counted as dropped); events that refer to a stored task or desktop get the record of `tasks` or
    /// `desktops` (the snapshot's sections, already read) itself. The events are read straight into the
    /// stored form; one of another user marks the record (a restore refuses it).
    public mutating func readUserActivityRecord(
        tasks: [MissionTask],
        desktops: [Desktop],
        keeping: Int = .max
    ) throws(CodecError) -> UserActivityRecord {
        try structure { r throws(CodecError) in
            let userID = UserID(uuid: try r.readUUID())
            var dropped = try r.readOptional { r throws(CodecError) in try r.readActivityEventID() }
            let count = try r.readCount(minimumSize: 17)
            let skipped = count - min(count, max(keeping, 0))
            var events: [StoredActivityEvent] = []
            events.reserveCapacity(count - skipped)
            var othersEvents = false
            for index in 0..<count {
                let (event, owner) = try r.readStoredActivityEvent(tasks: tasks, desktops: desktops)
                if owner != userID { othersEvents = true }
                if index < skipped { dropped = event.id } else { events.append(event) }
            }
            return UserActivityRecord(userID: userID, droppedThrough: dropped, storage: events, holdsOtherUsersEvents: othersEvents)
        }
    }

    /// Reads an event id.
    public mutating func readActivityEventID() throws(CodecError) -> ActivityEventID {
        let sequence = try readSequence("event sequence")
        let offset = position
        guard let index = UInt32(exactly: try readVarint()) else { throw .invalid(offset: offset, reason: "event index out of range") }
        return ActivityEventID(sequence: sequence, index: index)
    }

    /// Reads an event in the stored form, and the user it names.
    mutating func readStoredActivityEvent(
        tasks: [MissionTask],
        desktops: [Desktop]
    ) throws(CodecError) -> (event: StoredActivityEvent, userID: UserID) {
        try structure { r throws(CodecError) in
            let id = try r.readActivityEventID()
            let kindOffset = r.position
            guard let kind = ActivityCodes.kind(try r.readByte()) else { throw .invalid(offset: kindOffset, reason: "unknown activity kind") }
            let at = try r.readTimestamp()
            let userID = UserID(uuid: try r.readUUID())
            let subjectOffset = r.position
            let subject: StoredActivitySubject
            switch try r.readByte() {
            case ActivityCodes.taskSubject: subject = .task(try r.readMissionTask())
            case ActivityCodes.desktopSubject: subject = .desktop(try r.readDesktop())
            case ActivityCodes.storedTaskSubject:
                let position = try r.readVarint()
                guard position < UInt64(tasks.count) else {
                    throw .invalid(offset: subjectOffset, reason: "event refers to task \(position) of \(tasks.count)")
                }
                subject = .task(tasks[Int(position)])
            case ActivityCodes.storedDesktopSubject:
                let position = try r.readVarint()
                guard position < UInt64(desktops.count) else {
                    throw .invalid(offset: subjectOffset, reason: "event refers to desktop \(position) of \(desktops.count)")
                }
                subject = .desktop(desktops[Int(position)])
            case ActivityCodes.apiKeySubject:
                subject = .apiKeySummary(
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
            return (StoredActivityEvent(id: id, kind: kind, at: at, subject: subject), userID)
        }
    }
}

/// The stable one-byte codes of activity kinds and subjects: part of the file format, never renumber.
enum ActivityCodes {
    static let taskSubject: UInt8 = 1
    static let desktopSubject: UInt8 = 2
    static let apiKeySubject: UInt8 = 3
    /// Format 3 on: the task at a position of the `tasks` section.
    static let storedTaskSubject: UInt8 = 4
    /// Format 3 on: the desktop at a position of the `desktops` section.
    static let storedDesktopSubject: UInt8 = 5

    private static let kinds: [(ActivityKind, UInt8)] = [
        (.taskCreated, 1), (.taskUpdated, 2), (.desktopCreated, 3), (.desktopUpdated, 4),
        (.desktopDeleted, 5), (.apiKeyCreated, 6), (.apiKeyRevoked, 7), (.apiKeyRolled, 8), (.apiKeyLeaked, 9), (.apiKeyRevokedUnused, 10),
    ]

    static func code(of kind: ActivityKind) -> UInt8 {
        kinds.first { $0.0 == kind }?.1 ?? 0
    }

    static func kind(_ code: UInt8) -> ActivityKind? {
        kinds.first { $0.1 == code }?.0
    }
}
