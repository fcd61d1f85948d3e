#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls. Interrupted calls are retried; descriptors are opened
/// close-on-exec.
public struct POSIXFileSystem: FileSystem {
    /// The process's file system.
    public init() {}

    private static func failure(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(operation: operation, path: path, code: errno)
    }

    private static func describe(_ file: FileDescriptor) -> String { "descriptor \(file.rawValue)" }

    public func open(_ path: String, _ mode: OpenMode) throws(FileSystemError) -> FileDescriptor {
        var flags = O_CLOEXEC
        var permissions: mode_t = 0
        switch mode {
        case .readOnly: flags |= O_RDONLY
        case .readWrite: flags |= O_RDWR
        case .create(let bits):
            flags |= O_RDWR | O_CREAT
            permissions = mode_t(bits)
        case .directory: flags |= O_RDONLY | O_DIRECTORY
        }
        while true {
            let descriptor = systemOpen(path, flags, permissions)
            if descriptor >= 0 { return FileDescriptor(rawValue: descriptor) }
            if errno != EINTR { throw Self.failure("open", path) }
        }
    }

    public func close(_ file: FileDescriptor) {
        systemClose(file.rawValue)
    }

    public func write(_ file: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileSystemError) {
        var written = 0
        while written < bytes.count {
            let result = pwrite(file.rawValue, bytes.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            if result > 0 {
                written += result
            } else if result == 0 {
                throw FileSystemError(operation: "write", path: Self.describe(file), code: EIO)
            } else if errno != EINTR {
                throw Self.failure("write", Self.describe(file))
            }
        }
    }

    public func read(_ file: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileSystemError) -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let result = pread(file.rawValue, buffer.baseAddress!, buffer.count, off_t(offset))
            if result >= 0 { return result }
            if errno != EINTR { throw Self.failure("read", Self.describe(file)) }
        }
    }

    public func size(of file: FileDescriptor) throws(FileSystemError) -> Int64 {
        var info = stat()
        guard fstat(file.rawValue, &info) == 0 else { throw Self.failure("stat", Self.describe(file)) }
        return Int64(info.st_size)
    }

    public func synchronize(_ file: FileDescriptor, metadata: Bool) throws(FileSystemError) {
        while true {
            if Self.flush(file.rawValue, metadata: metadata) == 0 { return }
            if errno != EINTR { throw Self.failure(metadata ? "fsync" : "fdatasync", Self.describe(file)) }
        }
    }

    /// One attempt at flushing `descriptor` to stable storage.
    private static func flush(_ descriptor: Int32, metadata: Bool) -> Int32 {
        #if canImport(Darwin)
        // Darwin has no fdatasync, and its fsync leaves the data in the drive's cache: F_FULLFSYNC flushes
        // that too (metadata included). A file system without it (some network ones) gets fsync.
        if fcntl(descriptor, F_FULLFSYNC) == 0 { return 0 }
        return errno == EINTR ? -1 : fsync(descriptor)
        #else
        return metadata ? fsync(descriptor) : fdatasync(descriptor)
        #endif
    }

    public func truncate(_ file: FileDescriptor, to size: Int64) throws(FileSystemError) {
        while true {
            if ftruncate(file.rawValue, off_t(size)) == 0 { return }
            if errno != EINTR { throw Self.failure("truncate", Self.describe(file)) }
        }
    }

    public func rename(_ source: String, to destination: String) throws(FileSystemError) {
        guard systemRename(source, destination) == 0 else { throw Self.failure("rename", source) }
    }

    public func remove(_ path: String) throws(FileSystemError) {
        guard unlink(path) == 0 else { throw Self.failure("remove", path) }
    }

    public func makeDirectory(_ path: String, permissions: UInt32) throws(FileSystemError) {
        guard mkdir(path, mode_t(permissions)) == 0 else { throw Self.failure("mkdir", path) }
    }

    public func setPermissions(_ path: String, _ permissions: UInt32) throws(FileSystemError) {
        guard chmod(path, mode_t(permissions)) == 0 else { throw Self.failure("chmod", path) }
    }

    public func permissions(of path: String) throws(FileSystemError) -> UInt32 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Self.failure("stat", path) }
        return UInt32(info.st_mode) & 0o7777
    }

    public func contentsOfDirectory(_ path: String) throws(FileSystemError) -> [String] {
        guard let directory = opendir(path) else { throw Self.failure("list", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func kind(of path: String) throws(FileSystemError) -> FileKind? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw Self.failure("stat", path)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    public func lockExclusively(_ file: FileDescriptor) throws(FileSystemError) -> Bool {
        while true {
            if flock(file.rawValue, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno == EWOULDBLOCK { return false }
            if errno != EINTR { throw Self.failure("lock", Self.describe(file)) }
        }
    }
}

// The methods above shadow these calls' names inside the type.
private func systemOpen(_ path: String, _ flags: Int32, _ permissions: mode_t) -> Int32 { open(path, flags, permissions) }
private func systemClose(_ descriptor: Int32) { _ = close(descriptor) }
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
