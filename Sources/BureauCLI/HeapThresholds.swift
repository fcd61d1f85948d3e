#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the C allocator hands memory back to the system, set once when the server starts.
///
/// By default glibc raises its thresholds as a program frees large buffers: after recovery has freed the
/// buffers it read the snapshot and the log into, later large buffers come from the heap instead of
/// their own mappings, and the freed space at the top of a thread's heap is kept rather than released.
/// The server then keeps megabytes of memory it no longer uses (measured: about 5.5 MB, 110 bytes per key,
/// after loading 50,000 API keys). Pinning both thresholds at glibc's own defaults keeps large buffers in
/// mappings of their own, returned when freed, and trims a heap once 128 KiB at its top are free.
/// None of this touches a request's path: requests allocate nothing this large.
enum HeapThresholds {
    /// Allocations of at least this many bytes get a mapping of their own (glibc's default, kept fixed).
    static let mappingBytes: Int32 = 128 * 1024
    /// A heap is trimmed once this many bytes at its top are free (glibc's default, kept fixed).
    static let trimBytes: Int32 = 128 * 1024

    /// Fixes both thresholds; returns `false` where the C library does not offer the setting.
    @discardableResult
    static func pin() -> Bool {
        #if canImport(Glibc)
        // `mallopt` is declared in <malloc.h>, which the Glibc module leaves out: it is looked up by name
        // instead, with the parameter numbers that header defines (stable parts of glibc's interface).
        let mmapThreshold: Int32 = -3
        let trimThreshold: Int32 = -1
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        return mallopt(mmapThreshold, mappingBytes) == 1 && mallopt(trimThreshold, trimBytes) == 1
        #else
        return false
        #endif
    }

    /// Returns to the system every free page the heaps hold (`malloc_trim(0)`); called once, after recovery,
    /// which frees what it decoded the snapshot and the log into while the state's own blocks are allocated
    /// among them: the thresholds above release only free space at a heap's top, so that space stayed
    /// resident (measured: about 16 MB, 160 bytes per key, after loading 100,000 users with a key each).
    /// Returns `false` where the C library does not offer it.
    @discardableResult
    static func trim() -> Bool {
        #if canImport(Glibc)
        // Declared in <malloc.h> too, so looked up by name like `mallopt`.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return false }
        let mallocTrim = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        _ = mallocTrim(0)
        return true
        #else
        return false
        #endif
    }
}
