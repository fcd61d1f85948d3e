extension StoreState {
    /// Adds a new task (newer than every task of its owner and desktop: ``validate(_:)`` checks it) to the
    /// map and to the end of its owner's and its desktop's lists.
    mutating func indexNewTask(_ task: MissionTask) {
        tasks[task.id] = task
        taskIDsByOwner[task.ownerID, default: []].append(task.id)
        taskIDsByDesktop[task.desktopID, default: []].append(task.id)
        taskStatusesByOwner[task.ownerID, default: TaskStatusPositions()].append(task.status)
        taskStatusesByDesktop[task.desktopID, default: TaskStatusPositions()].append(task.status)
    }

    /// Stores `new` in place of `old` (the same task, perhaps in another status), keeping the status
    /// positions exact. The task's positions in its owner's and its desktop's lists are searched for
    /// unless given.
    mutating func replace(_ old: MissionTask, with new: MissionTask, ownerPosition: Int? = nil, desktopPosition: Int? = nil) {
        tasks[new.id] = new
        guard old.status != new.status else { return }
        if let position = ownerPosition ?? position(of: old, in: taskIDsByOwner[old.ownerID] ?? [], from: 0) {
            taskStatusesByOwner[old.ownerID]?.move(position, from: old.status, to: new.status)
        }
        if let position = desktopPosition ?? position(of: old, in: taskIDsByDesktop[old.desktopID] ?? [], from: 0) {
            taskStatusesByDesktop[old.desktopID]?.move(position, from: old.status, to: new.status)
        }
    }

    /// Cancels every unfinished task of the desktop at `time`, oldest first, and returns their ids. Reads
    /// only those tasks (found by their status positions), not the desktop's finished ones.
    mutating func cancelUnfinishedTasks(onDesktop desktopID: DesktopID, at time: Timestamp) -> [TaskID] {
        guard let ids = taskIDsByDesktop[desktopID], let newest = ids.last, let ownerID = tasks[newest]?.ownerID else { return [] }
        // Positions first, so the status positions are not shared (and copied) while they change below.
        let positions = unfinishedPositions(onDesktop: desktopID)
        // A desktop's tasks all have its owner: both position lists are taken out of their maps once, not
        // looked up per task, and put back at the end.
        let ownerIDs = taskIDsByOwner[ownerID] ?? []
        var ownerStatuses = taskStatusesByOwner.removeValue(forKey: ownerID)
        var desktopStatuses = taskStatusesByDesktop.removeValue(forKey: desktopID)
        var cancelled: [TaskID] = []
        cancelled.reserveCapacity(positions.count)
        var strays: [(old: MissionTask, new: MissionTask)] = []
        var ownerPosition = 0
        for position in positions {
            guard let task = tasks[ids[position]], !task.status.isFinished else { continue }
            let moved = task.moved(to: .cancelled, at: time)
            cancelled.append(task.id)
            guard task.ownerID == ownerID else {
                strays.append((task, moved))
                continue
            }
            tasks[task.id] = moved
            desktopStatuses?.move(position, from: task.status, to: .cancelled)
            // The desktop's tasks come in ordinal order, so each is in its owner's list after the last one
            // found; with one desktop, right after it.
            let found =
                ownerPosition < ownerIDs.count && ownerIDs[ownerPosition] == task.id
                ? ownerPosition : self.position(of: task, in: ownerIDs, from: ownerPosition)
            if let found {
                ownerStatuses?.move(found, from: task.status, to: .cancelled)
                ownerPosition = found + 1
            }
        }
        taskStatusesByOwner[ownerID] = ownerStatuses
        taskStatusesByDesktop[desktopID] = desktopStatuses
        // Never met when the records are consistent (checked on creation and restore); kept exact all the same.
        for stray in strays { replace(stray.old, with: stray.new) }
        return cancelled
    }

    /// The positions of the desktop's queued and running tasks, in ascending order.
    private func unfinishedPositions(onDesktop desktopID: DesktopID) -> [Int] {
        guard let statuses = taskStatusesByDesktop[desktopID] else { return [] }
        var positions: [Int] = []
        var queued = statuses.first(.queued, from: 0)
        var running = statuses.first(.running, from: 0)
        while queued != nil || running != nil {
            if let position = queued, running.map({ position < $0 }) ?? true {
                positions.append(position)
                queued = statuses.first(.queued, from: position + 1)
            } else if let position = running {
                positions.append(position)
                running = statuses.first(.running, from: position + 1)
            }
        }
        return positions
    }

    /// The ordinal of the owner's newest task, if it has any.
    func newestOrdinal(ofOwner ownerID: UserID) -> UInt64? {
        taskIDsByOwner[ownerID]?.last.flatMap { tasks[$0]?.ordinal }
    }

    /// The ordinal of the desktop's newest task, if it has any.
    func newestOrdinal(onDesktop desktopID: DesktopID) -> UInt64? {
        taskIDsByDesktop[desktopID]?.last.flatMap { tasks[$0]?.ordinal }
    }

    /// Where `task` is in `ids` (kept in ascending ordinal order), searching from `start` on: first in
    /// steps that double, then by halves, so a task near `start` costs a few reads, any other one
    /// O(log n).
    func position(of task: MissionTask, in ids: [TaskID], from start: Int) -> Int? {
        let target = task.ordinal
        var low = max(0, min(start, ids.count))
        var high = low
        var step = 1
        while high < ids.count, (tasks[ids[high]]?.ordinal ?? 0) < target {
            low = high + 1
            high = low + step
            step <<= 1
        }
        high = min(high, ids.count)
        let found = low + Self.firstIndex(in: ids[low..<high]) { (tasks[$0]?.ordinal ?? 0) >= target }
        return found < ids.count && ids[found] == task.id ? found : nil
    }

    /// Binary search over ids kept in ascending ordinal order: the offset in `ids` of the first element
    /// that satisfies `predicate` (which must be false then true along the slice), `ids.count` if none.
    static func firstIndex<ID>(in ids: ArraySlice<ID>, where predicate: (ID) -> Bool) -> Int {
        var low = ids.startIndex
        var high = ids.endIndex
        while low < high {
            let mid = low + (high - low) / 2
            if predicate(ids[mid]) { high = mid } else { low = mid + 1 }
        }
        return low - ids.startIndex
    }
}
