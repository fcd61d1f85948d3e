import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on the monotonic clock, for delays measured across threads.
/// (Dispatch's `uptimeNanoseconds` reads `CLOCK_MONOTONIC` on Linux; a `timespec` of our own would need
/// Dispatch's C module imported, which declares that struct once NIO is in this target.)
func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// A benchmark client's failure, with what it was doing.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// One TCP connection to the server on 127.0.0.1, with plain blocking reads and writes (no event loop
/// of its own, so the client costs one system call per read or write).
struct LoopbackConnection {
    /// The socket's file descriptor.
    let descriptor: Int32

    /// Connects to `127.0.0.1:port`.
    init(port: Int) throws {
        let descriptor = socket(AF_INET, streamSocketType, 0)
        guard descriptor >= 0 else { throw BenchmarkFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            _ = systemClose(descriptor)
            throw BenchmarkFailure("connect to port \(port): errno \(code)")
        }
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        self.descriptor = descriptor
    }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw BenchmarkFailure("write: errno \(errno)") }
            offset += written
        }
    }

    /// Reads until `marker` has arrived; returns everything read (which may go past the marker).
    func read(through marker: [UInt8]) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !received.contains(marker) {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw BenchmarkFailure("the server closed a connection before sending what was expected") }
            received += chunk[..<count]
        }
        return received
    }

    /// Makes later reads return at once when there is nothing to read (for a poll(2) reader).
    func makeNonBlocking() {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Closes the socket.
    func close() {
        _ = systemClose(descriptor)
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array.
    func contains(_ needle: [UInt8]) -> Bool {
        occurrences(of: needle) > 0
    }

    /// How many times `needle` occurs, without overlaps.
    func occurrences(of needle: [UInt8]) -> Int {
        guard !needle.isEmpty, count >= needle.count else { return 0 }
        var found = 0
        var index = 0
        while index <= count - needle.count {
            if self[index] == needle[0] && self[index..<index + needle.count].elementsEqual(needle) {
                found += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        return found
    }
}

// The C library's names differ between Linux and macOS: the socket type is an enum on Glibc, an Int32 on
// Darwin, and `close`/`read` are shadowed by the connection's own methods.
#if canImport(Glibc) || canImport(Musl)
private let streamSocketType = Int32(SOCK_STREAM.rawValue)
#else
private let streamSocketType = SOCK_STREAM
#endif

private func systemClose(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(descriptor)
    #elseif canImport(Musl)
    Musl.close(descriptor)
    #else
    Darwin.close(descriptor)
    #endif
}

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(descriptor, buffer, count)
    #elseif canImport(Musl)
    Musl.read(descriptor, buffer, count)
    #else
    Darwin.read(descriptor, buffer, count)
    #endif
}
