import FleetStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of a test's own (initdb in a temp dir, a free port), for tests that stop and restart it.
/// Runs the server as the `postgres` user when the tests run as root (PostgreSQL refuses root).
public final class PrivatePostgres: @unchecked Sendable {
    public let port: Int
    let directory: String
    let bin: String
    let asRoot: Bool

    /// Initialises and starts a server.
    public init(port: Int = Int.random(in: 20_000...29_999)) throws {
        self.port = port
        directory = NSTemporaryDirectory() + "joycity-pg-\(UUID().uuidString.prefix(8))"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }).last else {
            throw TestSetupError("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
        }
        bin = "/usr/lib/postgresql/\(version)/bin"
        asRoot = getuid() == 0
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/sock", withIntermediateDirectories: true)
        if asRoot { try shell("chown -R postgres \(directory)") }
        try run("\(bin)/initdb -D \(directory)/data -U postgres --auth=trust -E UTF8 --no-sync")
        try start()
    }

    deinit {
        // No child processes from a deinit (it may run while the test process exits): signal the postmaster.
        if let pid = postmasterPID { kill(pid, SIGQUIT) }
    }

    /// Stops the server and deletes its files. Call it when the test is done.
    public func shutdown() {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var postmasterPID: Int32? {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { Int32($0) }
    }

    /// The server's database configuration.
    public var configuration: DatabaseConfiguration {
        get throws { try DatabaseConfiguration(url: "postgres://postgres@127.0.0.1:\(port)/postgres") }
    }

    /// Starts the server (waits until it accepts connections).
    public func start() throws {
        try run(
            "\(bin)/pg_ctl -D \(directory)/data -l \(directory)/pg.log -w -o '-c listen_addresses=127.0.0.1 -p \(port) -k \(directory)/sock -c fsync=off' start"
        )
    }

    /// Stops the server at once (`immediate`: like a crash; in-flight transactions are lost).
    public func stop() throws {
        try run("\(bin)/pg_ctl -D \(directory)/data -m immediate -w stop")
    }

    func run(_ command: String) throws {
        try shell(asRoot ? "runuser -u postgres -- \(command)" : command)
    }

    /// Runs `command` with `/bin/sh` and waits for it with `waitpid` (Foundation's `Process` may wait on a
    /// descriptor the started server inherits, and never return).
    func shell(_ command: String) throws {
        var pid: pid_t = 0
        let words: [String] = ["/bin/sh", "-c", "exec </dev/null >/dev/null 2>&1; " + command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
        guard spawned == 0 else { throw TestSetupError("could not run `\(command)`: posix_spawn \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw TestSetupError("`\(command)` failed with status \(status)") }
    }

}
