import ServiceLifecycle

extension LogJournal: Service {
    /// Keeps the journal open until graceful shutdown (or cancellation) of its service group, then syncs
    /// whatever was written and closes it: later appends are refused with ``StorageError/journalClosed``.
    ///
    /// A service group shuts its services down in the reverse of their order, so the journal goes first
    /// in the list: it closes only after the server has drained and the final snapshot is written.
    public func run() async throws {
        // Cancellation ends the wait as shutdown does: either way, what was written is synced.
        try? await gracefulShutdown()
        try await close()
    }
}
