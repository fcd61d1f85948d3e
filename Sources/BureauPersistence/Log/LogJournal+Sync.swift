import BureauStore
import CoreMetrics
import Dispatch
import Logging
import Synchronization

extension LogJournal {
    public func waitUntilDurable(_ sequence: UInt64) async throws {
        switch options.fsync {
        case .never, .interval:
            if let failure = state.withLock({ $0.failure }) { throw failure }
            return
        case .always:
            break
        }
        enum Outcome {
            case done
            case failed(StorageError)
            case wait(startSync: Bool)
        }
        let ready = state.withLock { state -> Outcome in
            if let failure = state.failure { return .failed(failure) }
            return state.durable >= min(sequence, state.lastWritten) ? .done : .wait(startSync: false)
        }
        switch ready {
        case .done: return
        case .failed(let failure): throw failure
        case .wait: break
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Outcome in
                if let failure = state.failure { return .failed(failure) }
                // Nothing past the last record written can be waited for: the store never asks for it.
                let target = min(sequence, state.lastWritten)
                if state.durable >= target { return .done }
                state.waiters.append((target, continuation))
                if state.syncRunning { return .wait(startSync: false) }
                state.syncRunning = true
                return .wait(startSync: true)
            }
            switch outcome {
            case .done: continuation.resume()
            case .failed(let failure): continuation.resume(throwing: failure)
            case .wait(let startSync):
                if startSync { syncQueue.async { [self] in syncUntilNoWaiters() } }
            }
        }
    }

    /// Runs sync rounds while someone waits (on the sync queue).
    private func syncUntilNoWaiters() {
        while syncRound() {}
    }

    /// Syncs everything written so far and wakes the waiters it covers. Returns `true` when waiters for
    /// later records remain (so another round is due); called on the sync queue only.
    @discardableResult
    func syncRound() -> Bool {
        let (target, previous, files, directoryUnsynced, rolled) = state.withLock { state in
            let files = state.unsynced + (state.current.map { [$0.file] } ?? [])
            let directoryUnsynced = state.directoryUnsynced
            state.directoryUnsynced = false
            return (state.lastWritten, state.durable, files, directoryUnsynced, state.unsynced.count)
        }
        let started = ContinuousClock.now
        do throws(FileSystemError) {
            for file in files {
                do throws(FileSystemError) {
                    try fileSystem.synchronize(file.descriptor, metadata: false)
                } catch {
                    throw error.on(file.name)
                }
            }
            if directoryUnsynced { try fileSystem.synchronizeDirectory(directory.path) }
        } catch {
            fail(.syncFailed(error))
            return false
        }
        metrics.fsync.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        if target > previous { metrics.groupCommit.record(Int64(target - previous)) }
        let (woken, again) = state.withLock { state in
            state.durable = max(state.durable, target)
            state.unsynced.removeFirst(min(rolled, state.unsynced.count))
            let durable = state.durable
            let woken = state.waiters.filter { $0.sequence <= durable }.map(\.continuation)
            state.waiters.removeAll { $0.sequence <= durable }
            let again = !state.waiters.isEmpty
            if !again { state.syncRunning = false }
            return (woken, again)
        }
        for continuation in woken { continuation.resume() }
        return again
    }

    /// Records a fatal sync failure, fails every waiter and every later call, then hands over to `onFatal`.
    private func fail(_ error: StorageError) {
        logger.critical("syncing the log failed", metadata: ["error": "\(error)"])
        let waiters = state.withLock { state in
            state.failure = state.failure ?? error
            state.syncRunning = false
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for continuation in waiters { continuation.resume(throwing: error) }
        onFatal(error)
    }

    /// Syncs whatever was written (whatever the policy), wakes every waiter, and refuses later appends.
    /// Call it at shutdown, after the last write; the data directory stays locked until it is released.
    public func close() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            syncQueue.async { [self] in
                let alreadyClosed = state.withLock { state in
                    defer { state.closed = true }
                    return state.closed
                }
                guard !alreadyClosed else { return continuation.resume() }
                syncRound()
                let outcome = state.withLock { state -> Result<Void, StorageError> in
                    state.current = nil
                    state.unsynced.removeAll()
                    return state.failure.map { .failure($0) } ?? .success(())
                }
                continuation.resume(with: outcome)
            }
        }
    }

    /// Deletes the segments whose records all have sequences up to `sequence` (never the current one).
    /// Returns the names deleted.
    @discardableResult
    public func removeSegments(coveredThrough sequence: UInt64) throws(StorageError) -> [String] {
        try state.withLock { state throws(StorageError) -> [String] in
            var removed: [String] = []
            while let oldest = state.closedSegments.first, (oldest.lastSequence ?? oldest.firstSequence - 1) <= sequence {
                let path = directory.path(of: oldest.name)
                try attempt(fileSystem.remove(path))
                state.closedSegments.removeFirst()
                removed.append(oldest.name)
            }
            return removed
        }
    }
}
