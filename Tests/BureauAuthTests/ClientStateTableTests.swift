import Testing

@testable import BureauAuth

@Suite("Client state table")
struct ClientStateTableTests {
    /// A state that expires at `until` (a rank of `nil` when `pinned`: never evicted).
    struct Expiring: Sendable {
        var until: UInt64 = 0
        var pinned = false
    }

    @Test("the running count follows every way entries come and go: creation, idle sweeps, making room, eviction")
    func emptiness() {
        let table = ClientStateTable<Int, Expiring>(
            maxEntries: 64,
            shardCount: 4,
            makeState: { Expiring() },
            prune: { state, now in state.until <= now },
            evictionRank: { state, _ in state.pinned ? nil : state.until }
        )
        #expect(table.isEmpty)
        // Looking without creating adds nothing.
        #expect(table.withState(for: 1, now: 0, create: false) { _ in true } == nil)
        #expect(table.isEmpty)
        var generator = SystemRandomNumberGenerator()
        var now: UInt64 = 1
        for step in 0..<5_000 {
            now += UInt64.random(in: 0...3, using: &generator)
            let key = Int.random(in: 0..<200, using: &generator)
            switch step % 10 {
            case 9:
                table.sweep(now: now)
            default:
                _ = table.withState(for: key, now: now, create: true) { state in
                    state.until = now + UInt64.random(in: 1...400, using: &generator)
                    state.pinned = key % 50 == 0
                }
            }
            #expect(table.heldCount == table.count)
            #expect(table.isEmpty == (table.count == 0))
        }
        table.sweep(now: .max)
        #expect(table.count == 0)
        #expect(table.isEmpty)
        #expect(table.evictedCount > 0)
    }
}
