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

    /// Resident pages of this process (`/proc/self/statm`'s second field), -1 if unreadable.
    static func residentPages() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return -1 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, 128, file) != nil else { return -1 }
        let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        return fields.count > 1 ? Int(fields[1]) ?? -1 : -1
    }

    @Test("trimming returns the free pages between blocks still in use, which the thresholds alone keep")
    func trimmed() async {
        await #expect(processExitsWith: .success) {
            guard HeapThresholds.pin() else { exit(2) }
            // 64 MiB of small blocks, as recovery decodes records; one block in 64 stays, as the state's own
            // blocks sit among what recovery frees, so no heap's top is free and nothing is trimmed by itself.
            var blocks: [UnsafeMutableRawPointer] = []
            blocks.reserveCapacity(1 << 19)
            for _ in 0..<(1 << 19) {
                guard let block = malloc(128) else { exit(3) }
                memset(block, 1, 128)
                blocks.append(block)
            }
            for (index, block) in blocks.enumerated() where index % 64 != 0 { free(block) }
            let before = HeapThresholdsTests.residentPages()
            guard HeapThresholds.trim() else { exit(4) }
            let after = HeapThresholdsTests.residentPages()
            let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))
            // At least 32 of the ~63 MiB freed go back to the system.
            guard before > 0, after > 0, (before - after) * pageBytes > 32 << 20 else { exit(5) }
            exit(0)
        }
    }
}
#endif
