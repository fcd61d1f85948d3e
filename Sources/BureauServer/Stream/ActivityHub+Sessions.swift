import BureauStore

extension ActivityHub {
    /// Closes at once the streams of every session `committed` ends: a logout, or the sweep of expired
    /// sessions. Runs on the commit path, like ``publish(_:)``.
    public func closeStreams(ofSessionsEndedBy committed: CommittedMutation) {
        switch committed.mutation {
        case .sessionEnded(let ending):
            closeStreams(authenticatedBy: .session(ending.id))
        case .sessionsPruned(let pruning):
            for id in pruning.ids { closeStreams(authenticatedBy: .session(id)) }
        default:
            return
        }
    }
}
