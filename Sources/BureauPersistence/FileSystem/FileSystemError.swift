#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation that failed: which, on what, and the system's error number.
public struct FileSystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The operation, e.g. `write` or `rename`.
    public var operation: String
    /// The path it was done on.
    public var path: String
    /// The `errno` it failed with.
    public var code: Int32

    /// A failure of `operation` on `path` with `errno` `code`.
    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The same failure, naming `path` (descriptor-level calls only know a descriptor number).
    public func on(_ path: String) -> FileSystemError {
        FileSystemError(operation: operation, path: path, code: code)
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}
