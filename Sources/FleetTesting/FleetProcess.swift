import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `joycity` child process for tests that crash, stop and restart real processes.
public final class FleetProcess: @unchecked Sendable {
    /// The process.
    public let process: Process
    /// Where its stdout and stderr go.
    public let logPath: String
    /// Its `WORKER_NAME`, when given.
    public let name: String

    /// Starts `joycity <arguments>` with the test environment plus `environment` (and `WORKER_NAME=name`).
    public init(_ arguments: [String], name: String = "", environment: [String: String] = [:]) throws {
        self.name = name
        var environment = environment
        if !name.isEmpty { environment["WORKER_NAME"] = name }
        process = Process()
        process.executableURL = URL(fileURLWithPath: try FleetProcess.binary())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        logPath = NSTemporaryDirectory() + "joycity-test-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal`.
    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits up to `timeout` for the process to exit. - Returns: its exit status, or `nil` if it is still running.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Everything the process printed so far.
    public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The `joycity` binary: `JOYCITY_BIN`, or the one built next to the test bundle.
    public static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["JOYCITY_BIN"] { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("joycity").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw TestSetupError("cannot find the joycity binary next to the tests; build with `swift build --build-tests` or set JOYCITY_BIN")
    }
}

/// A private redis-server on a free port, for tests that restart Redis.
public final class PrivateRedis: @unchecked Sendable {
    /// Its port.
    public let port: Int
    private let directory: String
    private var process: Process?

    /// Starts a server with an append-only file (fsync always), so a restart keeps the data.
    public init() async throws {
        port = Int.random(in: 20_000...40_000)
        directory = NSTemporaryDirectory() + "joycity-redis-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await start()
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The URL of this server.
    public var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Starts the server (again).
    public func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--logfile", directory + "/redis.log",
        ]
        // Keep the server off the test runner's stdout: a lingering child holding the pipe would stall `swift test`.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let ready = await eventually(timeout: .seconds(10)) { PrivateRedis.canConnect(port: self.port) }
        guard ready else { throw TestSetupError("private redis-server on port \(port) did not start") }
    }

    /// Stops the server with SIGTERM, or SIGKILL after 5 s (its append-only file is fsynced on every write, so
    /// either way no acknowledged write is lost), and waits for it to exit.
    public func stop() async {
        guard let process else { return }
        process.terminate()
        if await !eventually(timeout: .seconds(5), { !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
            _ = await eventually(timeout: .seconds(5)) { !process.isRunning }
        }
        self.process = nil
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
