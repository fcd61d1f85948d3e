import BureauStore

/// Longest client address a usage record may carry (an IPv6 address with a zone, with room to spare):
/// a crafted file cannot make the server hold long strings as addresses.
let maxStoredClientAddressBytes = 64

extension BinaryWriter {
    /// Writes days with requests: a count, then each day (signed varint) and its requests (varint).
    public mutating func write(_ requests: [DailyRequests]) {
        writeVarint(UInt64(requests.count))
        for entry in requests {
            writeSignedVarint(Int64(entry.day.number))
            writeVarint(UInt64(entry.count))
        }
    }

    /// Writes a key's usage record: key id, days with requests, latest client address and its time.
    public mutating func write(_ record: KeyUsageRecord) {
        structure { w in
            w.write(record.keyID.uuid)
            w.write(record.requests)
            w.writeOptional(record.lastClientAddress) { $0.write($1) }
            w.writeOptional(record.lastClientAt) { $0.write($1) }
        }
    }
}

extension BinaryReader {
    /// Reads days with requests; a day outside 32 bits or a count outside 32 bits is refused.
    public mutating func readDailyRequests() throws(CodecError) -> [DailyRequests] {
        let count = try readCount(minimumSize: 2)
        var requests: [DailyRequests] = []
        requests.reserveCapacity(count)
        for _ in 0..<count {
            let offset = position
            guard let day = Int32(exactly: try readSignedVarint()), let requestCount = UInt32(exactly: try readVarint()) else {
                throw .invalid(offset: offset, reason: "day or request count out of range")
            }
            requests.append(DailyRequests(day: UsageDay(number: day), count: requestCount))
        }
        return requests
    }

    /// Reads a client address of a usage record (at most ``maxStoredClientAddressBytes`` bytes).
    public mutating func readClientAddress() throws(CodecError) -> String {
        let offset = position
        let address = try readString()
        guard address.utf8.count <= maxStoredClientAddressBytes else {
            throw .invalid(offset: offset, reason: "client address longer than \(maxStoredClientAddressBytes) bytes")
        }
        return address
    }

    /// Reads a key's usage record.
    public mutating func readKeyUsageRecord() throws(CodecError) -> KeyUsageRecord {
        try structure { r throws(CodecError) in
            let keyID = APIKeyID(uuid: try r.readUUID())
            let requests = try r.readDailyRequests()
            let address = try r.readOptional { r throws(CodecError) in try r.readClientAddress() }
            let at = try r.readOptional { r throws(CodecError) in try r.readTimestamp() }
            return KeyUsageRecord(keyID: keyID, requests: requests, lastClientAddress: address, lastClientAt: at)
        }
    }
}
