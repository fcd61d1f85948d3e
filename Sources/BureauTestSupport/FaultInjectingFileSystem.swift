import BureauPersistence
import Synchronization

/// A ``FileSystem`` for tests: passes every call to another one, records it, and fails the calls that
/// match an injected ``Fault`` (an error, or a write cut short), so every step of a write path can be
/// made to fail.
package final class FaultInjectingFileSystem: FileSystem {
    /// The kinds of call, as faults and the call log name them.
    package enum Operation: String, Sendable, CaseIterable {
        case open, write, read, size, synchronize, truncate, rename, remove, makeDirectory, setPermissions, list, lock
    }

    /// What a fault does to the call it hits.
    package enum Effect: Sendable, Hashable {
        /// The call fails with this `errno` and does nothing.
        case fail(errno: Int32)
        /// A write puts only its first `bytes` bytes in the file, then fails with `errno`.
        case shortWrite(bytes: Int, errno: Int32)
    }

    /// A planned failure.
    package struct Fault: Sendable, Hashable {
        /// The kind of call it hits.
        package var operation: Operation
        /// Only calls on a path containing this string are hit (`nil`: any path).
        package var pathContains: String?
        /// How many matching calls pass before the fault hits.
        package var after: Int
        /// What it does to that call.
        package var effect: Effect
        /// `true`: every later matching call fails too, until ``removeAllFaults()``; `false`: only one.
        package var repeats: Bool

        /// A fault on `operation`.
        package init(_ operation: Operation, pathContains: String? = nil, after: Int = 0, effect: Effect, repeats: Bool = false) {
            self.operation = operation
            self.pathContains = pathContains
            self.after = after
            self.effect = effect
            self.repeats = repeats
        }
    }

    /// One call that was made (hit by a fault or not).
    package struct Call: Sendable, Hashable {
        /// The kind of call.
        package var operation: Operation
        /// The path it was made on.
        package var path: String
    }

    private struct State {
        var hooks: [Operation: @Sendable (String) -> Void] = [:]
        var faults: [Fault] = []
        var calls: [Call] = []
        var paths: [Int32: String] = [:]
        var hits = 0
    }

    private let base: any FileSystem
    private let state = Mutex(State())

    /// Wraps `base` (the real file system by default).
    package init(wrapping base: any FileSystem = POSIXFileSystem()) {
        self.base = base
    }

    /// Plans `fault`.
    package func inject(_ fault: Fault) {
        state.withLock { $0.faults.append(fault) }
    }

    /// Runs `hook` with the path before every `operation` call (and before any fault hits it): a test
    /// can block there to hold a call in flight. `nil` removes it.
    package func setHook(_ operation: Operation, _ hook: (@Sendable (String) -> Void)?) {
        state.withLock { $0.hooks[operation] = hook }
    }

    /// Cancels every planned fault.
    package func removeAllFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// Every call so far, in order.
    package var calls: [Call] { state.withLock { $0.calls } }

    /// How many faults have hit so far.
    package var hits: Int { state.withLock { $0.hits } }

    /// How many `operation` calls were made on paths containing `pathContains`.
    package func count(_ operation: Operation, pathContains: String? = nil) -> Int {
        state.withLock { state in
            state.calls.filter { $0.operation == operation && (pathContains.map($0.path.contains) ?? true) }.count
        }
    }

    /// Forgets the call log.
    package func resetCalls() {
        state.withLock { $0.calls.removeAll() }
    }

    /// Records the call and returns the effect of the fault that hits it, if one does.
    private func check(_ operation: Operation, _ path: String) -> Effect? {
        if let hook = state.withLock({ $0.hooks[operation] }) { hook(path) }
        return state.withLock { state in
            state.calls.append(Call(operation: operation, path: path))
            guard
                let index = state.faults.firstIndex(where: {
                    $0.operation == operation && ($0.pathContains.map(path.contains) ?? true)
                })
            else { return nil }
            if state.faults[index].after > 0 {
                state.faults[index].after -= 1
                return nil
            }
            let effect = state.faults[index].effect
            if !state.faults[index].repeats { state.faults.remove(at: index) }
            state.hits += 1
            return effect
        }
    }

    private func path(of file: FileDescriptor) -> String {
        state.withLock { $0.paths[file.rawValue] ?? "descriptor \(file.rawValue)" }
    }

    private func hit(_ operation: Operation, _ path: String) throws(FileSystemError) {
        switch check(operation, path) {
        case .fail(let code), .shortWrite(_, let code):
            throw FileSystemError(operation: operation.rawValue, path: path, code: code)
        case nil:
            return
        }
    }

    package func open(_ path: String, _ mode: OpenMode) throws(FileSystemError) -> FileDescriptor {
        try hit(.open, path)
        let file = try base.open(path, mode)
        state.withLock { $0.paths[file.rawValue] = path }
        return file
    }

    package func close(_ file: FileDescriptor) {
        _ = state.withLock { $0.paths.removeValue(forKey: file.rawValue) }
        base.close(file)
    }

    package func write(_ file: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileSystemError) {
        let path = path(of: file)
        switch check(.write, path) {
        case .fail(let code):
            throw FileSystemError(operation: "write", path: path, code: code)
        case .shortWrite(let count, let code):
            try base.write(file, UnsafeRawBufferPointer(rebasing: bytes.prefix(min(count, bytes.count))), at: offset)
            throw FileSystemError(operation: "write", path: path, code: code)
        case nil:
            try base.write(file, bytes, at: offset)
        }
    }

    package func read(_ file: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileSystemError) -> Int {
        try hit(.read, path(of: file))
        return try base.read(file, into: buffer, at: offset)
    }

    package func size(of file: FileDescriptor) throws(FileSystemError) -> Int64 {
        try hit(.size, path(of: file))
        return try base.size(of: file)
    }

    package func synchronize(_ file: FileDescriptor, metadata: Bool) throws(FileSystemError) {
        try hit(.synchronize, path(of: file))
        try base.synchronize(file, metadata: metadata)
    }

    package func truncate(_ file: FileDescriptor, to size: Int64) throws(FileSystemError) {
        try hit(.truncate, path(of: file))
        try base.truncate(file, to: size)
    }

    package func rename(_ source: String, to destination: String) throws(FileSystemError) {
        try hit(.rename, source)
        try base.rename(source, to: destination)
    }

    package func remove(_ path: String) throws(FileSystemError) {
        try hit(.remove, path)
        try base.remove(path)
    }

    package func makeDirectory(_ path: String, permissions: UInt32) throws(FileSystemError) {
        try hit(.makeDirectory, path)
        try base.makeDirectory(path, permissions: permissions)
    }

    package func setPermissions(_ path: String, _ permissions: UInt32) throws(FileSystemError) {
        try hit(.setPermissions, path)
        try base.setPermissions(path, permissions)
    }

    package func permissions(of path: String) throws(FileSystemError) -> UInt32 {
        try base.permissions(of: path)
    }

    package func contentsOfDirectory(_ path: String) throws(FileSystemError) -> [String] {
        try hit(.list, path)
        return try base.contentsOfDirectory(path)
    }

    package func kind(of path: String) throws(FileSystemError) -> FileKind? {
        try base.kind(of: path)
    }

    package func lockExclusively(_ file: FileDescriptor) throws(FileSystemError) -> Bool {
        try hit(.lock, path(of: file))
        return try base.lockExclusively(file)
    }
}
