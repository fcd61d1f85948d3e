import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, its standard output and error piped back.
///
/// Not Foundation's `Process`: while a child is being set up, it holds copies of every descriptor of
/// this test process, the `flock`ed data-directory locks of concurrently running tests included, and
/// `posix_spawn` keeps that window as short as it can be (our descriptors are close-on-exec).
final class ChildProcess: Sendable {
    let pid: pid_t
    /// The read end of the child's standard output.
    let output: FileHandle
    /// The read end of the child's standard error.
    let error: FileHandle
    /// The write end of the child's standard input when started with `input: true` (closing it is the
    /// child's end of file; no other child holds a copy); otherwise its standard input is `/dev/null`.
    let input: FileHandle?

    /// Starts `path` with `arguments` and `environment`; standard input is a pipe when `input`, else `/dev/null`.
    init(_ path: String, _ arguments: [String], environment: [String: String], input: Bool = false) throws {
        // Every child of this process starts here, one at a time, so no child can inherit a pipe in the
        // moment before it is marked close-on-exec.
        let (pid, outputRead, errorRead, inputWrite) = try Self.spawnLock.withLock { _ in
            try Self.spawn(path, arguments, environment, input: input)
        }
        self.pid = pid
        output = FileHandle(fileDescriptor: outputRead, closeOnDealloc: true)
        error = FileHandle(fileDescriptor: errorRead, closeOnDealloc: true)
        self.input = inputWrite.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
    }

    private static let spawnLock = Mutex(())

    private static func pipeClosedOnExec() throws -> [Int32] {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw BlackBoxError("pipe failed: errno \(errno)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return ends
    }

    private static func spawn(
        _ path: String,
        _ arguments: [String],
        _ environment: [String: String],
        input: Bool
    ) throws -> (pid_t, Int32, Int32, Int32?) {
        let outputPipe = try pipeClosedOnExec()
        let errorPipe = try pipeClosedOnExec()
        let inputPipe = input ? try pipeClosedOnExec() : nil
        // An opaque pointer on Darwin, a struct on Glibc.
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let inputPipe {
            posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(outputPipe[1])
        close(errorPipe[1])
        if let inputPipe { close(inputPipe[0]) }
        guard status == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            if let inputPipe { close(inputPipe[1]) }
            throw BlackBoxError("cannot start \(path): errno \(status)")
        }
        return (pid, outputPipe[0], errorPipe[0], inputPipe?[1])
    }

    /// Sends `signal` to the child.
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the child to end: its exit status, or 128 + the signal that ended it.
    func waitForExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
