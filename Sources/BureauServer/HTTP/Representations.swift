import BureauStore

/// A desktop as the API shows it.
struct DesktopRepresentation: Encodable {
    var id: String
    var name: String
    var status: String
    var createdAt: String
    var updatedAt: String

    init(_ desktop: Desktop) {
        id = desktop.id.description
        name = desktop.name
        status = desktop.status.rawValue
        createdAt = desktop.createdAt.rfc3339
        updatedAt = desktop.updatedAt.rfc3339
    }
}

/// A task as the API shows it.
struct TaskRepresentation: Encodable {
    var id: String
    var type: String
    var content: String
    var desktopId: String
    var status: String
    var result: String?
    var createdAt: String
    var updatedAt: String

    init(_ task: MissionTask) {
        id = task.id.description
        type = task.type.rawValue
        content = task.content
        desktopId = task.desktopID.description
        status = task.status.rawValue
        result = task.result
        createdAt = task.createdAt.rfc3339
        updatedAt = task.updatedAt.rfc3339
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(content, forKey: .content)
        try container.encode(desktopId, forKey: .desktopId)
        try container.encode(status, forKey: .status)
        // `result` is always present, `null` until set.
        try container.encode(result, forKey: .result)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    private enum CodingKeys: String, CodingKey {
        case id, type, content, desktopId, status, result, createdAt, updatedAt
    }
}

/// An API key in listings: never the key itself.
struct APIKeyRepresentation: Encodable {
    var id: String
    var name: String
    var preview: String
    var createdAt: String
    var lastUsedAt: String?

    init(_ key: APIKeyRecord, lastUsedAt: Timestamp?) {
        id = key.id.description
        name = key.name
        preview = key.preview
        createdAt = key.createdAt.rfc3339
        self.lastUsedAt = lastUsedAt?.rfc3339
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(preview, forKey: .preview)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lastUsedAt, forKey: .lastUsedAt)
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, preview, createdAt, lastUsedAt
    }
}

/// The one answer that ever holds a key's plaintext: the creation's.
struct CreatedAPIKeyRepresentation: Encodable {
    var id: String
    var name: String
    var key: String
    var preview: String
    var createdAt: String
}

/// A list answer: `{"data": [...]}`, with `nextCursor` for paginated lists.
struct ListRepresentation<Item: Encodable>: Encodable {
    var data: [Item]
    var nextCursor: String??

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        if let nextCursor {
            // Paginated lists always carry the field, `null` on the last page.
            try container.encode(nextCursor, forKey: .nextCursor)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case data, nextCursor
    }
}
