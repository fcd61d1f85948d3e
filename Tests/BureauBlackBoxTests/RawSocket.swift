import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connection to a port on 127.0.0.1, for requests a URL session cannot make: a body sent in
/// parts, a stream read block by block.
final class RawSocket {
    private let descriptor: Int32
    private var received = ""

    /// Connects to `127.0.0.1:port`; `nil` when the connection is refused.
    init?(port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Writes all of `text`.
    func send(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Reads until `marker` has arrived, the peer closes, or `timeout` passes; returns everything received
    /// so far.
    @discardableResult
    func read(until marker: String, timeout: Duration) -> String {
        let deadline = ContinuousClock.now + timeout
        while !received.contains(marker), !isClosed, ContinuousClock.now < deadline {
            readOnce(deadline: deadline)
        }
        return received
    }

    /// Reads until the peer closes or `timeout` passes; `true` if it closed.
    func waitForClose(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isClosed, ContinuousClock.now < deadline { readOnce(deadline: deadline) }
        return isClosed
    }

    /// Everything received so far.
    var text: String { received }

    private(set) var isClosed = false

    private func readOnce(deadline: ContinuousClock.Instant) {
        let remaining = deadline - ContinuousClock.now
        let milliseconds = max(0, Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, min(milliseconds, 200)) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count <= 0 {
            isClosed = true
        } else {
            received += String(decoding: buffer[0..<count], as: UTF8.self)
        }
    }
}
