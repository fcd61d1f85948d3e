/// Whether a desktop is running.
public enum DesktopStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case running
    case stopped
}

/// A user's desktop.
public struct Desktop: Hashable, Sendable, Codable {
    public var id: DesktopID
    public var ownerID: UserID
    public var name: String
    public var status: DesktopStatus
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Creation order within the store (the sequence of the creating mutation); pagination cursors use it.
    public var ordinal: UInt64

    public init(
        id: DesktopID,
        ownerID: UserID,
        name: String,
        status: DesktopStatus,
        createdAt: Timestamp,
        updatedAt: Timestamp,
        ordinal: UInt64
    ) {
        self.id = id
        self.ownerID = ownerID
        self.name = name
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.ordinal = ordinal
    }
}
