#if canImport(Glibc)
import Glibc
import Testing

@testable import BureauCLI

@Suite("Heap thresholds")
struct HeapThresholdsTests {
    /// glibc marks a chunk that has a mapping of its own with bit 1 of the size word just before it.
    static func hasOwnMapping(_ pointer: UnsafeMutableRawPointer) -> Bool {
        (pointer - MemoryLayout<UInt>.size).load(as: UInt.self) & 2 != 0
    }

    @Test("once pinned, freeing a large buffer no longer moves later large buffers into the heap")
    func pinned() throws {
        #expect(HeapThresholds.pin())
        // Unpinned, freeing this 8 MiB mapping raises the threshold to 8 MiB, and the 1 MiB buffer below
        // would come from the heap, to stay resident there once freed.
        let large = try #require(malloc(8 << 20))
        #expect(Self.hasOwnMapping(large))
        free(large)
        let buffer = try #require(malloc(1 << 20))
        defer { free(buffer) }
        #expect(Self.hasOwnMapping(buffer))
        let small = try #require(malloc(Int(HeapThresholds.mappingBytes) / 2))
        defer { free(small) }
        #expect(!Self.hasOwnMapping(small))
    }
}
#endif
