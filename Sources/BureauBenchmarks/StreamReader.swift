import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a share of the open activity streams on a thread of its own with poll(2), and records, for each
/// stream, the monotonic time at which each `event: task.created` arrived (taken just after the read
/// that returned it). Arrivals are counted across reads, so a marker split between two reads counts once.
final class StreamReader: Sendable {
    private struct State {
        var arrivals: [[Double]]
        var tails: [[UInt8]]
        var isStopped = false
    }

    /// What marks one arrival in a stream's bytes.
    static let marker = Array("event: task.created".utf8)

    private let connections: [LoopbackConnection]
    private let state: Mutex<State>
    private let finished = Mutex(false)

    /// A reader of `connections` (already open, their response head read).
    init(connections: [LoopbackConnection]) {
        self.connections = connections
        state = Mutex(State(arrivals: Array(repeating: [], count: connections.count), tails: Array(repeating: [], count: connections.count)))
        for connection in connections { connection.makeNonBlocking() }
    }

    /// Starts the reading thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// How many events the stream that has received the fewest has received.
    var fewestArrivals: Int {
        state.withLock { state in state.arrivals.map(\.count).min() ?? 0 }
    }

    /// The arrival time of event `index` at every stream of this reader.
    func arrivals(ofEvent index: Int) -> [Double] {
        state.withLock { state in state.arrivals.map { $0[index] } }
    }

    /// Stops the thread, waits for it, and closes the connections.
    func stop() {
        state.withLock { $0.isStopped = true }
        while !finished.withLock({ $0 }) { usleep(1000) }
        for connection in connections { connection.close() }
    }

    private func run() {
        var watched = connections.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !state.withLock({ $0.isStopped }) {
            guard poll(&watched, nfds_t(watched.count), 20) > 0 else { continue }
            for index in watched.indices where watched[index].revents != 0 {
                drain(index, into: &chunk)
            }
        }
        finished.withLock { $0 = true }
    }

    private func drain(_ index: Int, into chunk: inout [UInt8]) {
        while true {
            let count = chunk.withUnsafeMutableBytes { read(connections[index].descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            let now = monotonicSeconds()
            state.withLock { state in
                let seen = state.tails[index] + chunk[..<count]
                let found = seen.occurrences(of: Self.marker)
                state.arrivals[index] += Array(repeating: now, count: found)
                state.tails[index] = Array(seen.suffix(Self.marker.count - 1))
            }
        }
    }
}
