import BureauStore

// Field layouts of the session records (added in record types 10–13 and snapshot section 7; files
// written before sessions existed hold none of them and load unchanged). Each record is a struct
// (length-prefixed) so a later version may append fields, which this version skips.

extension BinaryWriter {
    /// Writes a session: id, userID, digest (32 raw bytes), createdAt, lastSeenAt.
    public mutating func write(_ session: SessionRecord) {
        structure { w in
            w.write(session.id.uuid)
            w.write(session.userID.uuid)
            w.writeRaw(session.digest.bytes)
            w.write(session.createdAt)
            w.write(session.lastSeenAt)
        }
    }

    /// Writes a list of (session id, time) pairs, each a struct: the payload of uses.
    mutating func writeSessionTimes(_ pairs: [(SessionID, Timestamp)]) {
        writeVarint(UInt64(pairs.count))
        for (id, at) in pairs {
            structure { w in
                w.write(id.uuid)
                w.write(at)
            }
        }
    }
}

extension BinaryReader {
    /// Reads a session.
    public mutating func readSessionRecord() throws(CodecError) -> SessionRecord {
        try structure { r throws(CodecError) in
            let id = SessionID(uuid: try r.readUUID())
            let userID = UserID(uuid: try r.readUUID())
            let offset = r.position
            guard let digest = SessionDigest(bytes: try r.readRaw(32)) else { throw .invalid(offset: offset, reason: "bad session digest") }
            return SessionRecord(id: id, userID: userID, digest: digest, createdAt: try r.readTimestamp(), lastSeenAt: try r.readTimestamp())
        }
    }

    /// Reads a list written by ``BinaryWriter/writeSessionTimes(_:)``.
    mutating func readSessionTimes() throws(CodecError) -> [(SessionID, Timestamp)] {
        let count = try readCount(minimumSize: 2)
        var pairs: [(SessionID, Timestamp)] = []
        pairs.reserveCapacity(count)
        for _ in 0..<count {
            pairs.append(try structure { r throws(CodecError) in (SessionID(uuid: try r.readUUID()), try r.readTimestamp()) })
        }
        return pairs
    }
}
