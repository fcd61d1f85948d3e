extension Operations {
    /// A page of the requester's recent activity, newest first, before the event `before`.
    public func activity(by requester: Requester, before: ActivityEventID?, limit: Int) throws -> [ActivityEvent] {
        try read(by: requester) { $0.activityPage(of: requester.userID, before: before, limit: limit) }
    }

    /// The requester's events after `lastSeen` that a resuming stream replays, through the durable
    /// sequence `durableThrough` (see ``StoreState/activityReplay(of:after:durableThrough:)``); refused
    /// like every operation when the requester's credential has ended.
    public func activityReplay(by requester: Requester, after lastSeen: ActivityEventID?, durableThrough: UInt64) throws -> ActivityReplay {
        try read(by: requester) { $0.activityReplay(of: requester.userID, after: lastSeen, durableThrough: durableThrough) }
    }
}
