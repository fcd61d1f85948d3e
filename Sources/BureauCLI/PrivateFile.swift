import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A new file that only its owner can read or write, from the moment it exists: it is created with
/// `O_EXCL` and mode `0600` (an existing file is refused, never reused), then written and synced.
/// For files that hold plaintext keys (`bureau seed --out`) or key hashes (`bureau snapshot export --output`).
final class PrivateFile {
    private let path: String
    private var descriptor: Int32

    /// Creates the file at `path`; refuses if anything already exists there.
    init(creating path: String) throws(CommandFailure) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it already exists (remove it first)" : String(cString: strerror(errno))
            throw CommandFailure("cannot create \(path): \(reason)")
        }
        // The umask can only narrow the mode; this keeps it exactly 0600 whatever the umask is.
        _ = fchmod(descriptor, 0o600)
    }

    deinit {
        if descriptor >= 0 { _ = close(descriptor) }
    }

    /// Appends `text` in full.
    func append(_ text: String) throws(CommandFailure) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Syncs the file to disk and closes it.
    func finish() throws(CommandFailure) {
        let synced = fsync(descriptor) == 0
        let reason = synced ? "" : String(cString: strerror(errno))
        _ = close(descriptor)
        descriptor = -1
        guard synced else { throw CommandFailure("cannot sync \(path): \(reason)") }
    }
}
