import CoreMetrics

/// What the log reports to metrics: how long appends and syncs take, and how many records each sync
/// (group commit) makes durable.
public struct LogJournalMetrics: Sendable {
    /// One record's append (write into the segment), seconds.
    let append: CoreMetrics.Timer
    /// One sync round (every unsynced segment, and the directory when needed), seconds.
    let fsync: CoreMetrics.Timer
    /// Records made durable by one sync round.
    let groupCommit: Recorder

    /// Instruments made by `factory` (the default records nothing).
    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        append = CoreMetrics.Timer(label: "bureau_log_append_duration_seconds", dimensions: [], factory: factory)
        fsync = CoreMetrics.Timer(label: "bureau_log_fsync_duration_seconds", dimensions: [], factory: factory)
        groupCommit = Recorder(label: "bureau_log_group_commit_records", dimensions: [], aggregate: true, factory: factory)
    }
}
