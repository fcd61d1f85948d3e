/// Where the store writes mutations before applying them: the append log, in production.
///
/// `append` is called on the store's actor, in sequence order, before the mutation touches memory;
/// if it throws, nothing is applied and the write is refused. `waitUntilDurable` is awaited before the
/// write is acknowledged; concurrent writers awaiting it may share one sync (group commit).
public protocol MutationJournal: Sendable {
    /// Writes the record of `mutation` numbered `sequence`. Throws if the record could not be written.
    func append(_ mutation: Mutation, sequence: UInt64) throws
    /// Returns once every record up to `sequence` is as durable as the configured policy promises.
    func waitUntilDurable(_ sequence: UInt64) async throws
}

/// A journal that keeps nothing: state lives only as long as the process (tests, throwaway demos).
public struct EphemeralJournal: MutationJournal {
    public init() {}
    public func append(_ mutation: Mutation, sequence: UInt64) throws {}
    public func waitUntilDurable(_ sequence: UInt64) async throws {}
}
