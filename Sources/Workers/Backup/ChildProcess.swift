import Foundation
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process with piped stdin/stdout and a captured stderr tail, whose blocking reads, writes and wait run
/// on the process's own threads (never on Swift's cooperative pool).
final class ChildProcess: Sendable {
    let pid: pid_t
    let command: String
    private let stdinFD: Mutex<Int32>
    private let stdoutFD: Int32
    private let threads: NIOThreadPool
    private let stderrTail = Mutex<[UInt8]>([])
    private let stderrDone: Mutex<Bool> = Mutex(false)

    /// What went wrong starting or talking to a child.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Finds `name` on `PATH` (or returns it if it is a path that exists and is executable).
    static func resolve(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for directory in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Starts `executable` (an absolute path) with `arguments`, the current environment plus `environment`.
    init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        signal(SIGPIPE, SIG_IGN)
        command = ([executable] + arguments).joined(separator: " ")
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        var errors: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
            throw Failure(description: "could not create pipes for \(executable): \(String(cString: strerror(errno)))")
        }
        // Close-on-exec, so other children never inherit these pipes (an inherited stdin would never see EOF).
        for fd in input + output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        // Redis connections (hiredis) are not close-on-exec: close everything else in the child (glibc ≥ 2.34;
        // looked up at run time because Swift's Glibc module does not declare it).
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        // The spawning thread may block signals (Swift's and NIO's threads do) and we ignore SIGPIPE: give the
        // child an empty mask and default handlers, or it could never be stopped with SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(input[0])
        close(output[1])
        close(errors[1])
        guard spawned == 0 else {
            close(input[1])
            close(output[0])
            close(errors[0])
            throw Failure(description: "could not start \(executable): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        stdinFD = Mutex(input[1])
        stdoutFD = output[0]
        threads = NIOThreadPool(numberOfThreads: 3)
        threads.start()
        let errorFD = errors[0]
        threads.submit { [self] _ in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(errorFD, $0.baseAddress, 4096) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                self.stderrTail.withLock { tail in
                    tail += buffer[0..<n]
                    if tail.count > 8192 { tail.removeFirst(tail.count - 8192) }
                }
            }
            close(errorFD)
            self.stderrDone.withLock { $0 = true }
        }
    }

    /// The last 8 KiB the child wrote to stderr, trimmed.
    var stderr: String {
        String(decoding: stderrTail.withLock { $0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads up to `count` bytes of stdout, fewer only at end of output (empty: done). A blocking read cannot be
    /// cancelled, so cancelling the task kills the child (SIGTERM): its output ends and the read returns, then this
    /// throws `CancellationError`.
    func read(upTo count: Int) async throws -> [UInt8] {
        let bytes = try await withTaskCancellationHandler {
            try await readBlocking(upTo: count)
        } onCancel: {
            self.kill()
        }
        try Task.checkCancellation()
        return bytes
    }

    private func readBlocking(upTo count: Int) async throws -> [UInt8] {
        let fd = stdoutFD
        return try await threads.runIfActive {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw Failure(description: "reading the output of \(self.command): \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                filled += n
            }
            bytes.removeLast(count - filled)
            return bytes
        }
    }

    /// Writes all of `bytes` to stdin.
    /// - Throws: ``Failure`` when the child closed its input (it exited early).
    func write(_ bytes: [UInt8]) async throws {
        let fd = stdinFD.withLock { $0 }
        guard fd >= 0 else { throw Failure(description: "the input of \(command) is closed") }
        try await threads.runIfActive {
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw Failure(description: "\(self.command) stopped reading its input: \(String(cString: strerror(errno)))") }
                written += n
            }
        }
    }

    /// Closes stdin (end of input).
    func closeInput() {
        stdinFD.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    /// Sends `signal` to the child.
    func kill(_ signal: Int32 = SIGTERM) { _ = Glibc.kill(pid, signal) }

    /// Waits for the child to exit. → its exit code, or 128 + signal number when a signal ended it.
    func wait() async throws -> Int32 {
        closeInput()
        let pid = self.pid
        let status = try await threads.runIfActive { () -> Int32 in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return status
        }
        close(stdoutFD)
        // Let the stderr reader see end of file before the tail is read.
        for _ in 0..<200 where !stderrDone.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
        try? await threads.shutdownGracefully()
        let signalled = status & 0x7f
        return signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
    }
}
