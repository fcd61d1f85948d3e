import BureauStore

/// A desktop as the API shows it.
struct DesktopRepresentation: JSONRepresentable {
    let desktop: Desktop

    init(_ desktop: Desktop) { self.desktop = desktop }

    func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.field("id", desktop.id)
            json.field("name", desktop.name)
            json.field("status", desktop.status.rawValue)
            json.field("createdAt", desktop.createdAt)
            json.field("updatedAt", desktop.updatedAt)
        }
    }
}

/// A task as the API shows it; `result` is always present, `null` until set.
struct TaskRepresentation: JSONRepresentable {
    let task: MissionTask

    init(_ task: MissionTask) { self.task = task }

    func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.field("id", task.id)
            json.field("type", task.type.rawValue)
            // Content and result straight from the task's storage, without a `String` each.
            json.key("content")
            task.withContentUTF8 { json.string(utf8: $0) }
            json.field("desktopId", task.desktopID)
            json.field("status", task.status.rawValue)
            json.key("result")
            task.withResultUTF8 { bytes in
                if let bytes { json.string(utf8: bytes) } else { json.null() }
            }
            json.field("createdAt", task.createdAt)
            json.field("updatedAt", task.updatedAt)
        }
    }
}

/// An API key in listings and `GET /api/auth/api-keys/{id}`: never the key itself. With its usage: the
/// requests of each of the last 30 UTC days (oldest first, today last), the client address of its latest
/// use, and whether it counts as unused (`auth.unused_key_days`).
struct APIKeyRepresentation: JSONRepresentable {
    let key: APIKeyRecord
    let lastUsedAt: Timestamp?
    let usage: KeyUsageHistory
    let today: UsageDay
    let unused: Bool

    init(_ key: APIKeyRecord, lastUsedAt: Timestamp?, usage: KeyUsageHistory, at now: Timestamp, unused: Bool) {
        self.key = key
        self.lastUsedAt = lastUsedAt
        self.usage = usage
        self.today = UsageDay(now)
        self.unused = unused
    }

    func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.field("id", key.id)
            json.field("name", key.name)
            json.field("preview", key.preview)
            json.field("createdAt", key.createdAt)
            json.field("lastUsedAt", lastUsedAt)
            json.field("expiresAt", key.expiresAt)
            json.field("scope", key.scope.rawValue)
            json.field("unused", unused)
            json.key("usage")
            json.object { json in
                json.key("days")
                json.array { json in
                    for count in usage.window(endingOn: today) { json.integer(Int(count)) }
                }
                json.field("firstDay", UsageDay(number: today.number - Int32(KeyUsageHistory.days - 1)).description)
                json.field("lastClientAddress", usage.lastClientAddress)
            }
        }
    }
}

/// The one answer that ever holds a key's plaintext: the creation's.
struct CreatedAPIKeyRepresentation: JSONRepresentable {
    let key: APIKeyRecord
    let plaintext: String

    func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.field("id", key.id)
            json.field("name", key.name)
            json.field("key", plaintext)
            json.field("preview", key.preview)
            json.field("createdAt", key.createdAt)
            json.field("expiresAt", key.expiresAt)
            json.field("scope", key.scope.rawValue)
        }
    }
}

/// A list answer: `{"data": [...]}`, plus `nextCursor` (a string or `null`) for paginated lists.
struct ListRepresentation<Item: JSONRepresentable>: JSONRepresentable {
    let data: [Item]
    let paginated: Bool
    let nextCursor: String?

    /// A paginated list.
    init(data: [Item], nextCursor: String?) {
        self.data = data
        self.paginated = true
        self.nextCursor = nextCursor
    }

    /// A list that is never paginated.
    init(data: [Item]) {
        self.data = data
        self.paginated = false
        self.nextCursor = nil
    }

    func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.key("data")
            json.array { array in
                for item in data { item.write(to: &array) }
            }
            if paginated { json.field("nextCursor", nextCursor) }
        }
    }
}

/// A fixed set of string members, e.g. `{"status": "ok"}`.
struct StatusRepresentation: JSONRepresentable {
    let status: String

    func write(to writer: inout JSONWriter) {
        writer.object { json in json.field("status", status) }
    }
}
