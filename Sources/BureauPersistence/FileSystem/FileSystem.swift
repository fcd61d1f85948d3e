/// An open file, as the ``FileSystem`` that opened it knows it.
public struct FileDescriptor: Hashable, Sendable {
    /// The operating system's descriptor number.
    public let rawValue: Int32
    /// Wraps a descriptor number.
    public init(rawValue: Int32) { self.rawValue = rawValue }
}

/// How to open a file.
public enum OpenMode: Sendable, Hashable {
    /// Read an existing file.
    case readOnly
    /// Read and write an existing file.
    case readWrite
    /// Open for reading and writing, creating the file with `permissions` when it does not exist.
    case create(permissions: UInt32)
    /// Open a directory (to synchronise its entries or lock it).
    case directory
}

/// What a path names.
public enum FileKind: Sendable, Hashable {
    case regular
    case directory
    case other
}

/// The operations the storage layer does on files, as a seam: production uses ``POSIXFileSystem``;
/// tests wrap it in a fault-injecting file system (in the test support) to fail any step.
///
/// Every failure throws ``FileSystemError`` naming the operation, the path and the `errno`.
public protocol FileSystem: Sendable {
    /// Opens `path`.
    func open(_ path: String, _ mode: OpenMode) throws(FileSystemError) -> FileDescriptor
    /// Closes `file`; errors are ignored (nothing written depends on `close`: every file is synced first).
    func close(_ file: FileDescriptor)
    /// Writes all of `bytes` at `offset`, or throws. After a throw, any prefix of `bytes` may be in the file.
    func write(_ file: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileSystemError)
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (0 at the end of the file).
    func read(_ file: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileSystemError) -> Int
    /// The file's size in bytes.
    func size(of file: FileDescriptor) throws(FileSystemError) -> Int64
    /// Flushes the file to stable storage: `fdatasync` when `metadata` is false, `fsync` otherwise
    /// (`F_FULLFSYNC` on Darwin, whose `fsync` leaves the data in the drive's cache).
    func synchronize(_ file: FileDescriptor, metadata: Bool) throws(FileSystemError)
    /// Cuts (or extends with zeros) the file to `size` bytes.
    func truncate(_ file: FileDescriptor, to size: Int64) throws(FileSystemError)
    /// Atomically renames `source` to `destination`, replacing it.
    func rename(_ source: String, to destination: String) throws(FileSystemError)
    /// Deletes a file.
    func remove(_ path: String) throws(FileSystemError)
    /// Creates a directory with `permissions`.
    func makeDirectory(_ path: String, permissions: UInt32) throws(FileSystemError)
    /// Sets a path's permission bits.
    func setPermissions(_ path: String, _ permissions: UInt32) throws(FileSystemError)
    /// The permission bits of a path.
    func permissions(of path: String) throws(FileSystemError) -> UInt32
    /// The names in a directory (without `.` and `..`).
    func contentsOfDirectory(_ path: String) throws(FileSystemError) -> [String]
    /// What `path` names, or `nil` when nothing is there.
    func kind(of path: String) throws(FileSystemError) -> FileKind?
    /// Takes an exclusive advisory lock on `file` without waiting; `false` when another holder has it.
    func lockExclusively(_ file: FileDescriptor) throws(FileSystemError) -> Bool
}

extension FileSystem {
    /// The whole content of `path`.
    public func readFile(_ path: String) throws(FileSystemError) -> [UInt8] {
        let file = try open(path, .readOnly)
        defer { close(file) }
        let size = try self.size(of: file)
        guard size > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(FileSystemError) in
                    try read(file, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: Int64(filled))
                }
            }.get()
            if count == 0 { break }
            filled += count
        }
        if filled < bytes.count { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// Writes `bytes` at `offset`.
    public func write(_ file: FileDescriptor, _ bytes: [UInt8], at offset: Int64) throws(FileSystemError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(FileSystemError) in try write(file, buffer, at: offset) }
        }.get()
    }

    /// Makes the directory's entries (creations, renames, removals) durable.
    public func synchronizeDirectory(_ path: String) throws(FileSystemError) {
        let directory = try open(path, .directory)
        defer { close(directory) }
        try synchronize(directory, metadata: true)
    }

    /// Creates (or replaces) `path` with `bytes` atomically and durably: a temporary file beside it is
    /// written, synced and renamed over it, then the directory is synced. On failure the temporary file
    /// is removed and `path` is as it was.
    public func writeFileAtomically(_ path: String, _ bytes: [UInt8], permissions: UInt32, directory: String) throws(FileSystemError) {
        let temporary = path + ".tmp"
        do throws(FileSystemError) {
            let file = try open(temporary, .create(permissions: permissions))
            do throws(FileSystemError) {
                try truncate(file, to: 0)
                try write(file, bytes, at: 0)
                try synchronize(file, metadata: true)
            } catch {
                close(file)
                throw error
            }
            close(file)
            try rename(temporary, to: path)
        } catch {
            try? remove(temporary)
            throw error
        }
        try synchronizeDirectory(directory)
    }
}
