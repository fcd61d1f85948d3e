/// Which positions of one list of tasks (an owner's or a desktop's, in creation order) hold a task of each
/// status: one bit per position and status, under summary layers in which a bit stands for a whole word of
/// the layer below and is set while that word has any bit set. The nearest position of a status before or
/// after any point is then found in a few word reads per layer (four layers cover 16 million positions),
/// however long the list and however far the nearest match, and a task changing status flips a bit per layer.
///
/// About 5 bits per position and status list (a task is in two lists: 10 bits). Derived state: rebuilt from
/// the tasks on restore and replay, never persisted.
struct TaskStatusPositions: Hashable, Sendable {
    /// `layers[0]` has one word per 64 positions and status; `layers[k + 1]` one word per 64 words of
    /// `layers[k]` and status. The statuses' words are interleaved: word `w` of status lane `s` is at
    /// `w * lanes + s`. A layer exists above another only while that one has more than one word per status,
    /// so the sizes depend on ``count`` alone and two equal lists have equal layers.
    private var layers: [[UInt64]] = []
    /// Positions held: the length of the list.
    private(set) var count = 0

    /// Status lanes per word group.
    private static let lanes = TaskStatus.allCases.count

    /// An empty list.
    init() {}

    /// Adds a position at the end of the list, holding a task of `status`.
    mutating func append(_ status: TaskStatus) {
        count += 1
        grow()
        insert(count - 1, lane: status.lane)
    }

    /// Adds positions at the end of the list, one per status of `statuses`, in order.
    mutating func append(contentsOf statuses: some Collection<TaskStatus>) {
        // Sized once (a restore adds a whole list), rather than doubled along the way.
        let words = ((count + statuses.count + 63) >> 6) * Self.lanes
        if layers.isEmpty, !statuses.isEmpty { layers.append([]) }
        if !statuses.isEmpty, layers[0].capacity < words { layers[0].reserveCapacity(words) }
        for status in statuses { append(status) }
    }

    /// Records that the task at `position` went from `old` to `new`.
    mutating func move(_ position: Int, from old: TaskStatus, to new: TaskStatus) {
        guard position >= 0, position < count, old != new else { return }
        remove(position, lane: old.lane)
        insert(position, lane: new.lane)
    }

    /// Whether the task at `position` has `status`.
    func contains(_ position: Int, _ status: TaskStatus) -> Bool {
        guard position >= 0, position < count else { return false }
        return layers[0][(position >> 6) * Self.lanes + status.lane] >> UInt64(position & 63) & 1 == 1
    }

    /// The greatest position below `end` holding a task of `status`, if any.
    func last(_ status: TaskStatus, before end: Int) -> Int? {
        guard end > 0, count > 0 else { return nil }
        let lane = status.lane
        var index = min(end, count) - 1
        var layer = 0
        while layer < layers.count {
            let bit = index & 63
            let below: UInt64 = bit == 63 ? ~0 : (1 << UInt64(bit + 1)) - 1
            let word = layers[layer][(index >> 6) * Self.lanes + lane] & below
            if word != 0 {
                var found = (index & ~63) | (63 - word.leadingZeroBitCount)
                // Each set summary bit has a non-zero word under it: take its highest bit, down to layer 0.
                while layer > 0 {
                    layer -= 1
                    found = found << 6 | (63 - layers[layer][found * Self.lanes + lane].leadingZeroBitCount)
                }
                return found
            }
            // Nothing at or below `index` in its word: look at the words before it, one layer up.
            guard index >> 6 > 0 else { return nil }
            index = (index >> 6) - 1
            layer += 1
        }
        return nil
    }

    /// The smallest position at or above `start` holding a task of `status`, if any.
    func first(_ status: TaskStatus, from start: Int) -> Int? {
        guard start < count else { return nil }
        let lane = status.lane
        var index = max(start, 0)
        var layer = 0
        while layer < layers.count {
            let word = layers[layer][(index >> 6) * Self.lanes + lane] & (~0 << UInt64(index & 63))
            if word != 0 {
                var found = (index & ~63) | word.trailingZeroBitCount
                while layer > 0 {
                    layer -= 1
                    found = found << 6 | layers[layer][found * Self.lanes + lane].trailingZeroBitCount
                }
                return found
            }
            // Nothing at or above `index` in its word: look at the words after it, one layer up.
            let next = (index >> 6) + 1
            guard next < layers[layer].count / Self.lanes else { return nil }
            index = next
            layer += 1
        }
        return nil
    }

    /// Sizes the layers for ``count``, which has just grown by one: at most one word per status is added to
    /// each layer, and a new top layer starts when the one below reaches two words per status.
    private mutating func grow() {
        var words = (count + 63) >> 6
        var layer = 0
        while true {
            if layer == layers.count {
                layers.append([UInt64](repeating: 0, count: words * Self.lanes))
                if layer > 0 { summarise(layer) }
            } else if layers[layer].count < words * Self.lanes {
                layers[layer].append(contentsOf: repeatElement(0, count: words * Self.lanes - layers[layer].count))
            } else {
                return
            }
            guard words > 1 else { return }
            words = (words + 63) >> 6
            layer += 1
        }
    }

    /// Sets the bits of the new layer `layer` from the words of the one below it.
    private mutating func summarise(_ layer: Int) {
        let below = layers[layer - 1]
        for slot in below.indices where below[slot] != 0 {
            let (word, lane) = slot.quotientAndRemainder(dividingBy: Self.lanes)
            layers[layer][(word >> 6) * Self.lanes + lane] |= 1 << UInt64(word & 63)
        }
    }

    private mutating func insert(_ position: Int, lane: Int) {
        var index = position
        for layer in layers.indices {
            let slot = (index >> 6) * Self.lanes + lane
            let old = layers[layer][slot]
            layers[layer][slot] = old | 1 << UInt64(index & 63)
            // The word already had a bit set, so the layers above already mark it.
            if old != 0 { return }
            index >>= 6
        }
    }

    private mutating func remove(_ position: Int, lane: Int) {
        var index = position
        for layer in layers.indices {
            let slot = (index >> 6) * Self.lanes + lane
            let new = layers[layer][slot] & ~(1 << UInt64(index & 63))
            layers[layer][slot] = new
            // The word still has a bit set, so the layers above must keep marking it.
            if new != 0 { return }
            index >>= 6
        }
    }
}

extension TaskStatus {
    /// The status's lane in ``TaskStatusPositions``.
    fileprivate var lane: Int {
        switch self {
        case .queued: 0
        case .running: 1
        case .completed: 2
        case .failed: 3
        case .cancelled: 4
        }
    }
}
