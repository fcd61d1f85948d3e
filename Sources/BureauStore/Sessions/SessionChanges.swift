/// The end of one session by its user (logout).
public struct SessionEnding: Hashable, Sendable, Codable {
    public var id: SessionID
    public var at: Timestamp
    public init(id: SessionID, at: Timestamp) {
        self.id = id
        self.at = at
    }
}

/// The latest use of one session (persisted in batches, like API-key uses).
public struct SessionUse: Hashable, Sendable, Codable {
    public var id: SessionID
    public var at: Timestamp
    public init(id: SessionID, at: Timestamp) {
        self.id = id
        self.at = at
    }
}

/// Sessions dropped because their idle or absolute timeout passed, found by the periodic sweep.
public struct SessionPruning: Hashable, Sendable, Codable {
    public var ids: [SessionID]
    public var at: Timestamp
    public init(ids: [SessionID], at: Timestamp) {
        self.ids = ids
        self.at = at
    }
}
