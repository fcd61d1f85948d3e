import BureauTestSupport
import Testing

@testable import BureauStore

@Suite("Task status positions")
struct TaskStatusPositionsTests {
    /// Each status's positions in ascending order, from a plain array of statuses.
    struct Reference {
        var positions: [TaskStatus: [Int]] = [:]

        init(_ statuses: [TaskStatus]) {
            for (position, status) in statuses.enumerated() { positions[status, default: []].append(position) }
        }

        /// The greatest position of `status` below `end`.
        func last(_ status: TaskStatus, before end: Int) -> Int? {
            let list = positions[status] ?? []
            return list[..<list.partitioningIndex { $0 >= end }].last
        }

        /// The smallest position of `status` at or above `start`.
        func first(_ status: TaskStatus, from start: Int) -> Int? {
            let list = positions[status] ?? []
            return list[list.partitioningIndex { $0 >= start }...].first
        }
    }

    /// Grows a list to `count` positions while moving random ones, then checks every query against a plain
    /// array: `count`s on both sides of each layer boundary (64, 4,096 and 262,144 positions).
    @Test("nearest positions before and after any point match a plain scan", arguments: [1, 63, 64, 65, 130, 4_095, 4_097, 9_000, 270_000])
    func nearestPositions(count: Int) {
        var generator = SplitMix64(seed: UInt64(count))
        var positions = TaskStatusPositions()
        var statuses: [TaskStatus] = []
        // Sparse statuses matter most: a status found only far away makes the search climb the layers.
        let rare: [TaskStatus] = [.failed, .cancelled, .completed]
        for _ in 0..<count {
            let status: TaskStatus = Int.random(in: 0..<1000, using: &generator) == 0 ? rare.randomElement(using: &generator)! : .queued
            positions.append(status)
            statuses.append(status)
            if Int.random(in: 0..<8, using: &generator) == 0 {
                let position = Int.random(in: 0..<statuses.count, using: &generator)
                let new = TaskStatus.allCases.randomElement(using: &generator)!
                positions.move(position, from: statuses[position], to: new)
                statuses[position] = new
            }
        }
        #expect(positions.count == count)
        var points = [-1, 0, 1, 63, 64, 65, count - 1, count, count + 1, count + 100]
        for _ in 0..<300 { points.append(Int.random(in: 0...count, using: &generator)) }
        let reference = Reference(statuses)
        for status in TaskStatus.allCases {
            for point in points {
                #expect(positions.last(status, before: point) == reference.last(status, before: point))
                #expect(positions.first(status, from: point) == reference.first(status, from: point))
            }
        }
        for position in points where (0..<count).contains(position) {
            for status in TaskStatus.allCases {
                #expect(positions.contains(position, status) == (statuses[position] == status))
            }
        }
        // Walking a rare status from the end visits each of its positions once, newest first.
        for status in rare {
            var walked: [Int] = []
            var end = count
            while let position = positions.last(status, before: end) {
                walked.append(position)
                end = position
            }
            #expect(walked == (reference.positions[status] ?? []).reversed())
        }
    }

    @Test("a list changed in place equals one built from its final statuses (restore and replay agree)")
    func canonical() {
        var generator = SplitMix64(seed: 7)
        var live = TaskStatusPositions()
        var statuses: [TaskStatus] = []
        for _ in 0..<5_000 {
            live.append(.queued)
            statuses.append(.queued)
            let position = Int.random(in: 0..<statuses.count, using: &generator)
            let new = TaskStatus.allCases.randomElement(using: &generator)!
            live.move(position, from: statuses[position], to: new)
            statuses[position] = new
        }
        // Empty every status but one again, so words that were set are zero once more.
        for position in statuses.indices where statuses[position] != .queued {
            live.move(position, from: statuses[position], to: .queued)
            statuses[position] = .queued
        }
        var rebuilt = TaskStatusPositions()
        rebuilt.append(contentsOf: statuses)
        #expect(live == rebuilt)
        #expect(live.last(.failed, before: statuses.count) == nil)
        #expect(live.first(.running, from: 0) == nil)
    }

    @Test("moves outside the list or to the same status change nothing")
    func ignoredMoves() {
        var positions = TaskStatusPositions()
        positions.append(contentsOf: [.queued, .running])
        let before = positions
        positions.move(-1, from: .queued, to: .failed)
        positions.move(2, from: .queued, to: .failed)
        positions.move(0, from: .queued, to: .queued)
        #expect(positions == before)
        #expect(!positions.contains(5, .queued))
        #expect(TaskStatusPositions().last(.queued, before: 10) == nil)
        #expect(TaskStatusPositions().first(.queued, from: 0) == nil)
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, which is false then true along the array.
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
