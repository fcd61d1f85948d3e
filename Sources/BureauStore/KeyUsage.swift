/// A UTC calendar day, counted from 1970-01-01 (day 0): the unit of a key's usage history.
public struct UsageDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before it).
    public var number: Int32

    /// Wraps a day number.
    public init(number: Int32) {
        self.number = number
    }

    /// The UTC day `time` falls on (any valid ``Timestamp`` has a day that fits in 32 bits).
    public init(_ time: Timestamp) {
        let milliseconds = time.millisecondsSinceEpoch
        let day = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        number = Int32(clamping: day)
    }

    /// The day's first instant.
    public var start: Timestamp { Timestamp(millisecondsSinceEpoch: Int64(number) * 86_400_000) }

    /// `YYYY-MM-DD`.
    public var description: String { String(start.rfc3339.prefix(10)) }

    public static func < (lhs: UsageDay, rhs: UsageDay) -> Bool { lhs.number < rhs.number }

    /// The day a `YYYY-MM-DD` date names (a real date of years 0000 to 9999), or `nil`.
    public init?(date text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[month - 1]).contains(day) else { return nil }
        // Days from 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        number = Int32(era * 146_097 + dayOfEra - 719_468)
    }

    /// Encodes as `YYYY-MM-DD`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes a `YYYY-MM-DD` date.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = UsageDay(date: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM-DD date: \(text)")
        }
        self = day
    }
}

/// Requests made with a key on one day.
public struct DailyRequests: Hashable, Sendable, Codable {
    /// The day.
    public var day: UsageDay
    /// Successful authentications with the key on that day.
    public var count: UInt32

    /// A count for a day.
    public init(day: UsageDay, count: UInt32) {
        self.day = day
        self.count = count
    }
}

/// One key's requests per day over the last ``KeyUsageHistory/days`` days and the client address of its
/// latest use: what `GET /api/auth/api-keys/{id}` shows and the dashboard charts.
///
/// Kept only for keys that were used (a key never used costs nothing here), in a fixed ring of counts
/// indexed by day: adding a day's requests and reading the window are both constant work per day.
public struct KeyUsageHistory: Hashable, Sendable {
    /// How many days the history covers, today included.
    public static let days = 30

    /// The newest day with requests (day 0 while there are none); counts of days before the window ending
    /// on it are gone, so two histories of the same requests are equal.
    public private(set) var newestDay: UsageDay
    /// Counts by `day.number mod days`.
    private var counts: [UInt32]
    /// The client address of the latest use recorded (as the rate limiter saw it: after trusted proxies).
    public private(set) var lastClientAddress: String?
    /// The time of that use.
    public private(set) var lastClientAt: Timestamp?

    /// An empty history (its window moves to the first day that has requests).
    public init() {
        newestDay = UsageDay(number: 0)
        counts = Array(repeating: 0, count: Self.days)
    }

    /// A history holding `requests` (days outside the window ending on the newest of them are dropped) and
    /// the client of the latest use.
    public init(requests: [DailyRequests], lastClientAddress: String?, at: Timestamp?) {
        self.init()
        for entry in requests { add(entry.count, on: entry.day) }
        noteClient(lastClientAddress, at: at)
    }

    private static func slot(of day: UsageDay) -> Int {
        let remainder = Int(day.number) % days
        return remainder < 0 ? remainder + days : remainder
    }

    /// Adds `count` requests on `day`: a day newer than the window moves it forward (the days it passes
    /// start at zero); a day older than the window is dropped.
    public mutating func add(_ count: UInt32, on day: UsageDay) {
        guard count > 0 else { return }
        if day > newestDay {
            let gap = Int64(day.number) - Int64(newestDay.number)
            if gap >= Int64(Self.days) {
                for index in counts.indices { counts[index] = 0 }
            } else {
                for step in 1...Int(gap) { counts[Self.slot(of: UsageDay(number: newestDay.number + Int32(step)))] = 0 }
            }
            newestDay = day
        }
        guard Int64(newestDay.number) - Int64(day.number) < Int64(Self.days) else { return }
        let slot = Self.slot(of: day)
        counts[slot] = counts[slot].addingReportingOverflow(count).overflow ? .max : counts[slot] + count
    }

    /// Remembers `address` as the latest client, unless a later use is already recorded.
    public mutating func noteClient(_ address: String?, at time: Timestamp?) {
        guard let address, let time else { return }
        if let known = lastClientAt, known > time { return }
        lastClientAddress = address
        lastClientAt = time
    }

    /// The requests of each day of the window ending on `today`, oldest first (``days`` values; days
    /// without a use are 0).
    public func window(endingOn today: UsageDay) -> [UInt32] {
        (0..<Self.days).map { offset in
            let day = UsageDay(number: today.number - Int32(Self.days - 1 - offset))
            guard day <= newestDay, Int64(newestDay.number) - Int64(day.number) < Int64(Self.days) else { return 0 }
            return counts[Self.slot(of: day)]
        }
    }

    /// The days with requests, oldest first: what is persisted.
    public var requests: [DailyRequests] {
        window(endingOn: newestDay).enumerated().compactMap { offset, count in
            count == 0 ? nil : DailyRequests(day: UsageDay(number: newestDay.number - Int32(Self.days - 1 - offset)), count: count)
        }
    }

    /// This history with `other`'s requests added and the later of the two clients.
    public func merged(with other: KeyUsageHistory) -> KeyUsageHistory {
        var result = self
        for entry in other.requests { result.add(entry.count, on: entry.day) }
        result.noteClient(other.lastClientAddress, at: other.lastClientAt)
        return result
    }
}

/// A key's usage as persisted: its id and history (a snapshot's record).
public struct KeyUsageRecord: Hashable, Sendable, Codable {
    /// The key.
    public var keyID: APIKeyID
    /// Its days with requests, oldest first.
    public var requests: [DailyRequests]
    /// The client address of its latest use.
    public var lastClientAddress: String?
    /// The time of that use.
    public var lastClientAt: Timestamp?

    /// A record given field by field (a decoded snapshot).
    public init(keyID: APIKeyID, requests: [DailyRequests], lastClientAddress: String?, lastClientAt: Timestamp?) {
        self.keyID = keyID
        self.requests = requests
        self.lastClientAddress = lastClientAddress
        self.lastClientAt = lastClientAt
    }

    /// A record of the history of `keyID`.
    public init(keyID: APIKeyID, history: KeyUsageHistory) {
        self.keyID = keyID
        requests = history.requests
        lastClientAddress = history.lastClientAddress
        lastClientAt = history.lastClientAt
    }

    /// The history this record holds.
    public var history: KeyUsageHistory {
        KeyUsageHistory(requests: requests, lastClientAddress: lastClientAddress, at: lastClientAt)
    }
}

extension StoreState {
    /// Restores the usage of keys from a snapshot's records (after the keys themselves).
    public mutating func restoreKeyUsage(_ records: [KeyUsageRecord]) throws(InconsistentState) {
        keyUsage.reserveCapacity(records.count)
        for record in records {
            guard apiKeys[record.keyID] != nil else { throw InconsistentState(reason: "usage of unknown key \(record.keyID)") }
            guard keyUsage.updateValue(record.history, forKey: record.keyID) == nil else {
                throw InconsistentState(reason: "usage of key \(record.keyID) appears twice")
            }
        }
    }

}
