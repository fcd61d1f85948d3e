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

    /// The allocator's state depends on everything the process freed before, and other tests free large
    /// buffers too (a freed chunk in the heap's bins can serve a later large request whatever the
    /// threshold): the check runs in a process of its own, with a fresh heap.
    @Test("once pinned, freeing a large buffer no longer moves later large buffers into the heap")
    func pinned() async {
        await #expect(processExitsWith: .success) {
            guard HeapThresholds.pin() else { exit(2) }
            // Unpinned, freeing this 8 MiB mapping raises the threshold to 8 MiB, and the 1 MiB buffer below
            // would come from the heap, to stay resident there once freed.
            guard let large = malloc(8 << 20), HeapThresholdsTests.hasOwnMapping(large) else { exit(3) }
            free(large)
            guard let buffer = malloc(1 << 20), HeapThresholdsTests.hasOwnMapping(buffer) else { exit(4) }
            free(buffer)
            guard let small = malloc(Int(HeapThresholds.mappingBytes) / 2), !HeapThresholdsTests.hasOwnMapping(small) else { exit(5) }
            free(small)
            exit(0)
        }
    }
}
#endif
