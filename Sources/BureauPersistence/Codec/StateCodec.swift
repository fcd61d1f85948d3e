import BureauStore

/// Encodes a whole ``StoreState`` (a snapshot's body, before compression), and back.
///
/// Layout (format 1): the sequence as a varint, then tagged sections, each `tag (u8) · byte length
/// (u64 LE) · count (varint) · records`, ended by tag 0. A reader skips sections whose tag it does not
/// know, so a later version can add kinds of records; a missing section is empty. Since format 3 the
/// `activity` section (written after `tasks` and `desktops`) may refer to their records by position.
public enum StateCodec {
    /// Section tags. Part of the format: never renumber, only add.
    enum Section: UInt8, CaseIterable {
        case end = 0
        case users = 1
        case apiKeys = 2
        case desktops = 3
        case tasks = 4
        case idempotency = 5
        case activity = 6
        case sessions = 7
        case keyUsage = 8
    }

    /// The body bytes of `records`.
    public static func encode(_ records: StateRecords) -> [UInt8] {
        var w = BinaryWriter(capacity: 64 + records.tasks.count * 160 + records.apiKeys.count * 160)
        w.writeVarint(records.sequence)
        section(.users, records.users, into: &w) { $0.write($1) }
        section(.apiKeys, records.apiKeys, into: &w) { $0.write($1) }
        section(.desktops, records.desktops, into: &w) { $0.write($1) }
        section(.tasks, records.tasks, into: &w) { $0.write($1) }
        section(.idempotency, records.idempotency, into: &w) { $0.write($1) }
        let subjects = ActivitySubjectIndex(records)
        section(.activity, records.activity, into: &w) { $0.write($1, subjects: subjects) }
        section(.sessions, records.sessions, into: &w) { $0.write($1) }
        section(.keyUsage, records.keyUsage, into: &w) { $0.write($1) }
        w.write(Section.end.rawValue)
        return w.bytes
    }

    /// The body bytes of `state`.
    public static func encode(_ state: StoreState) -> [UInt8] {
        encode(StateRecords(state))
    }

    private static func section<Record>(
        _ tag: Section,
        _ records: [Record],
        into w: inout BinaryWriter,
        _ write: (inout BinaryWriter, Record) -> Void
    ) {
        w.write(tag.rawValue)
        let lengthOffset = w.bytes.count
        w.write(UInt64(0))
        let start = w.bytes.count
        w.writeVarint(UInt64(records.count))
        for record in records { write(&w, record) }
        w.patch(UInt64(w.bytes.count - start), at: lengthOffset)
    }

    /// The body bytes of `records` handed to `emit` in pieces of about `chunkSize` bytes (a record is
    /// never split, so a piece may be a record longer), in order: their concatenation is exactly
    /// ``encode(_:)-(StateRecords)``'s bytes, without the whole body ever being held.
    ///
    /// A section's byte length comes before its records, so each section is encoded twice: once to
    /// measure it, then again as it is handed over. A section shorter than `chunkSize` is kept from the
    /// first pass instead of being encoded again.
    public static func encode<Failure: Error>(
        _ records: StateRecords,
        chunkSize: Int,
        emit: ([UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        var stream = ChunkedWriter(chunkSize: max(chunkSize, 64))
        stream.w.writeVarint(records.sequence)
        try stream.section(.users, records.users, emit: emit) { $0.write($1) }
        try stream.section(.apiKeys, records.apiKeys, emit: emit) { $0.write($1) }
        try stream.section(.desktops, records.desktops, emit: emit) { $0.write($1) }
        try stream.section(.tasks, records.tasks, emit: emit) { $0.write($1) }
        try stream.section(.idempotency, records.idempotency, emit: emit) { $0.write($1) }
        let subjects = ActivitySubjectIndex(records)
        try stream.section(.activity, records.activity, emit: emit) { $0.write($1, subjects: subjects) }
        try stream.section(.sessions, records.sessions, emit: emit) { $0.write($1) }
        try stream.section(.keyUsage, records.keyUsage, emit: emit) { $0.write($1) }
        stream.w.write(Section.end.rawValue)
        try emit(stream.w.bytes)
    }

    /// A writer handed over piece by piece, for ``encode(_:chunkSize:emit:)``.
    private struct ChunkedWriter {
        let chunkSize: Int
        var w: BinaryWriter

        init(chunkSize: Int) {
            self.chunkSize = chunkSize
            w = BinaryWriter(capacity: chunkSize + chunkSize / 4)
        }

        /// Hands the bytes over once there are `chunkSize` of them.
        mutating func flushIfFull<Failure: Error>(_ emit: ([UInt8]) throws(Failure) -> Void) throws(Failure) {
            guard w.bytes.count >= chunkSize else { return }
            try emit(w.bytes)
            w.removeAll()
        }

        /// Writes a section as ``StateCodec/section(_:_:into:_:)`` does, its length measured first.
        mutating func section<Record, Failure: Error>(
            _ tag: Section,
            _ records: [Record],
            emit: ([UInt8]) throws(Failure) -> Void,
            _ write: (inout BinaryWriter, Record) -> Void
        ) throws(Failure) {
            var measure = BinaryWriter(capacity: min(chunkSize, 64 + records.count * 64))
            measure.writeVarint(UInt64(records.count))
            var length = 0
            var kept = true
            for record in records {
                write(&measure, record)
                if measure.bytes.count >= chunkSize {
                    length += measure.bytes.count
                    measure.removeAll()
                    kept = false
                }
            }
            length += measure.bytes.count
            w.write(tag.rawValue)
            w.write(UInt64(length))
            if kept {
                w.writeRaw(measure.bytes)
                try flushIfFull(emit)
                return
            }
            w.writeVarint(UInt64(records.count))
            for record in records {
                write(&w, record)
                try flushIfFull(emit)
            }
        }
    }

    /// Decodes body bytes into records (not yet checked against each other: see ``StateRecords/makeState()``),
    /// keeping the newest `activityCapacity` events of each user: the older ones are never held in memory.
    public static func decode(_ bytes: [UInt8], activityCapacity: Int = .max) throws(CodecError) -> StateRecords {
        var r = BinaryReader(bytes)
        var records = StateRecords(sequence: try r.readSequence(), users: [], apiKeys: [], desktops: [], tasks: [], idempotency: [])
        var seen: Set<UInt8> = []
        while true {
            let tagOffset = r.position
            let tag = try r.readByte()
            if tag == Section.end.rawValue { break }
            guard seen.insert(tag).inserted else { throw .invalid(offset: tagOffset, reason: "section \(tag) appears twice") }
            let length = try r.readUInt64()
            guard length <= UInt64(r.remaining) else {
                throw .truncated(offset: r.position, needed: Int(clamping: length), available: r.remaining)
            }
            let sectionEnd = r.position + Int(length)
            var s = BinaryReader(bytes, range: r.position..<sectionEnd)
            switch Section(rawValue: tag) {
            case .users: records.users = try list(&s) { r throws(CodecError) in try r.readUser() }
            case .apiKeys: records.apiKeys = try list(&s) { r throws(CodecError) in try r.readAPIKeyRecord() }
            case .desktops: records.desktops = try list(&s) { r throws(CodecError) in try r.readDesktop() }
            case .tasks: records.tasks = try list(&s) { r throws(CodecError) in try r.readMissionTask() }
            case .idempotency: records.idempotency = try list(&s) { r throws(CodecError) in try r.readIdempotencyRecord() }
            case .activity:
                let (tasks, desktops) = (records.tasks, records.desktops)
                records.activity = try list(&s) { r throws(CodecError) in
                    try r.readUserActivityRecord(tasks: tasks, desktops: desktops, keeping: activityCapacity)
                }
            case .sessions: records.sessions = try list(&s) { r throws(CodecError) in try r.readSessionRecord() }
            case .keyUsage: records.keyUsage = try list(&s) { r throws(CodecError) in try r.readKeyUsageRecord() }
            case .end, nil: break
            }
            try r.skip(Int(length))
        }
        guard r.isAtEnd else { throw .invalid(offset: r.position, reason: "\(r.remaining) bytes after the end of the state") }
        return records
    }

    private static func list<Record>(
        _ r: inout BinaryReader,
        _ read: (inout BinaryReader) throws(CodecError) -> Record
    ) throws(CodecError) -> [Record] {
        // Every record is a struct of at least its length byte and a 16-byte id.
        let count = try r.readCount(minimumSize: 17)
        var records: [Record] = []
        records.reserveCapacity(count)
        for _ in 0..<count { records.append(try read(&r)) }
        guard r.isAtEnd else { throw .invalid(offset: r.position, reason: "\(r.remaining) bytes left in a section") }
        return records
    }
}
