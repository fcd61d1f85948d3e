/// When the log is flushed to stable storage (`storage.fsync`).
public enum FsyncPolicy: String, Sendable, Hashable, CaseIterable, Codable {
    /// A write is acknowledged only after its record is `fdatasync`'d; concurrent writers share one
    /// sync (group commit). Nothing acknowledged is lost to a crash or a power cut.
    case always
    /// The log is synced about once a second, in the background: a power cut (not a crash of the
    /// process alone) can lose up to that second of acknowledged writes.
    case interval
    /// The log is never synced by Bureau; the operating system writes it back when it chooses (usually
    /// within 30 s). A power cut can lose whatever it had not written; a crash of the process alone loses nothing.
    case never
}

/// How the log journal writes.
public struct LogJournalOptions: Sendable, Hashable {
    /// When records are synced.
    public var fsync: FsyncPolicy
    /// A segment is closed and a new one started once a record would take it past this size.
    public var segmentBytes: Int64
    /// How long after a write the `interval` policy syncs.
    public var syncInterval: Duration

    /// Options; the defaults are `always`, 16 MiB segments, 1 s interval.
    public init(fsync: FsyncPolicy = .always, segmentBytes: Int64 = 16 << 20, syncInterval: Duration = .seconds(1)) {
        self.fsync = fsync
        self.segmentBytes = segmentBytes
        self.syncInterval = syncInterval
    }
}
