import Foundation
import Logging
import Synchronization

/// A data directory owned by this process: created `0700` if missing (tightened to `0700` if not), and
/// locked through its `LOCK` file (`flock`) so that two processes never share it. The lock is held
/// until ``unlock()`` or until the value is gone.
public final class DataDirectory: Sendable {
    /// Permission bits of the directory.
    public static let directoryPermissions: UInt32 = 0o700
    /// Permission bits of every file written in it.
    public static let filePermissions: UInt32 = 0o600

    /// The directory's path, as given.
    public let path: String
    /// The file system it is reached through.
    public let fileSystem: any FileSystem
    private let lock: Mutex<FileDescriptor?>

    /// Opens (creating if needed) and locks the directory at `path`.
    ///
    /// - Parameter lockWait: how long a held lock is retried before giving up.
    /// - Throws: ``StorageError/directoryInUse(directory:)`` when another process holds it.
    public init(path: String, fileSystem: any FileSystem = POSIXFileSystem(), lockWait: Duration = .seconds(2)) throws(StorageError) {
        self.path = path
        self.fileSystem = fileSystem
        switch try attempt(fileSystem.kind(of: path)) {
        case nil:
            try Self.makeParents(of: path, fileSystem: fileSystem)
            try attempt(fileSystem.makeDirectory(path, permissions: Self.directoryPermissions))
        case .directory:
            if try attempt(fileSystem.permissions(of: path)) != Self.directoryPermissions {
                try attempt(fileSystem.setPermissions(path, Self.directoryPermissions))
            }
        case .regular, .other:
            throw .notADirectory(path)
        }
        let lockPath = path + "/" + StorageFileName.lockName
        let file = try attempt(fileSystem.open(lockPath, .create(permissions: Self.filePermissions)))
        var locked = false
        do throws(FileSystemError) {
            // A child that another thread of this process is starting holds copies of our descriptors
            // until it execs; retrying for a moment tells that apart from a server holding the directory.
            let deadline = ContinuousClock.now + lockWait
            locked = try fileSystem.lockExclusively(file)
            while !locked, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
                locked = try fileSystem.lockExclusively(file)
            }
        } catch {
            fileSystem.close(file)
            throw .fileSystem(error.on(lockPath))
        }
        guard locked else {
            fileSystem.close(file)
            throw .directoryInUse(directory: path)
        }
        lock = Mutex(file)
    }

    deinit {
        unlock()
    }

    /// Releases the lock (closing its descriptor releases the `flock`). Idempotent.
    public func unlock() {
        if let file = lock.withLock({ $0.take() }) { fileSystem.close(file) }
    }

    /// The path of the file called `name` in the directory.
    public func path(of name: String) -> String {
        path + "/" + name
    }

    /// The storage files in the directory.
    public func listing() throws(StorageError) -> DirectoryListing {
        DirectoryListing(try attempt(fileSystem.contentsOfDirectory(path)))
    }

    /// Removes temporary files a crash left behind (a snapshot or restore that never reached its rename).
    public func removeTemporaryFiles(logger: Logger) throws(StorageError) {
        for name in try listing().temporaries {
            try attempt(fileSystem.remove(path(of: name)))
            logger.notice("removed a temporary file left by an interrupted write", metadata: ["file": "\(name)"])
        }
    }
}

/// Evaluates a file operation, reporting its failure as a ``StorageError/fileSystem(_:)``.
func attempt<Value>(_ body: @autoclosure () throws(FileSystemError) -> Value) throws(StorageError) -> Value {
    try attemptAll(body)
}

/// Runs several file operations, reporting a failure as a ``StorageError/fileSystem(_:)``.
func attemptAll<Value>(_ body: () throws(FileSystemError) -> Value) throws(StorageError) -> Value {
    do throws(FileSystemError) {
        return try body()
    } catch {
        throw .fileSystem(error)
    }
}

extension DataDirectory {
    /// Creates the missing parent directories of `path` (as `mkdir -p` does, mode 0755: only the data
    /// directory itself is private), so `storage.data_dir: ./data/demo` works on a fresh checkout.
    static func makeParents(of path: String, fileSystem: any FileSystem) throws(StorageError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in components {
            prefix += "/" + component
            if try attempt(fileSystem.kind(of: prefix)) == nil {
                try attempt(fileSystem.makeDirectory(prefix, permissions: 0o755))
            }
        }
    }
}
