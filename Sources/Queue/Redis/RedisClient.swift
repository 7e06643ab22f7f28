import FleetCore
import Logging
import ServiceLifecycle
import Synchronization

/// A Redis client over hiredis: a small pool of connections, each with its own thread.
///
/// Like `PostgresClient`, it is a `Service`: run it in the process's `ServiceGroup` before the services that use it;
/// when `run()` ends (graceful shutdown or cancellation) every connection is closed and its thread stopped.
/// Connections open lazily and reopen after failures, backing off up to a cap.
///
/// ```swift
/// let redis = try RedisClient(configuration: .init(environment: EnvironmentReader()), logger: logger)
/// let reply = try await redis.send(RedisCommand("PING"))
/// ```
public final class RedisClient: Service, Sendable {
    /// Connection settings.
    public struct Configuration: Sendable {
        /// Where Redis is.
        public var url: RedisURL
        /// How long to wait for a TCP connection.
        public var connectTimeout: Duration
        /// How long to wait for a reply (blocking reads add their `BLOCK` time to this).
        public var commandTimeout: Duration
        /// How many pooled connections (each with a thread) at most; blocking reads use dedicated connections.
        public var poolSize: Int
        /// First pause before reconnecting after a failure; doubles per failure.
        public var reconnectBackoffBase: Duration
        /// Longest pause before reconnecting.
        public var reconnectBackoffCap: Duration
        /// Prefix of `CLIENT SETNAME`, so `CLIENT LIST` shows who is who.
        public var clientName: String

        /// Creates settings.
        public init(
            url: RedisURL = RedisURL(),
            connectTimeout: Duration = .seconds(2),
            commandTimeout: Duration = .seconds(5),
            poolSize: Int = 4,
            reconnectBackoffBase: Duration = .milliseconds(50),
            reconnectBackoffCap: Duration = .seconds(2),
            clientName: String = "joycity"
        ) {
            self.url = url
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.poolSize = poolSize
            self.reconnectBackoffBase = reconnectBackoffBase
            self.reconnectBackoffCap = reconnectBackoffCap
            self.clientName = clientName
        }

        /// Reads settings from the environment.
        ///
        /// - `REDIS_URL` (default `redis://127.0.0.1:6379/0`): `redis://[user:password@]host:port/db`
        /// - `REDIS_CONNECT_TIMEOUT` (default `2s`): TCP connect timeout
        /// - `REDIS_COMMAND_TIMEOUT` (default `5s`): reply timeout; a timed-out connection is closed and reopened
        /// - `REDIS_POOL_SIZE` (default `4`, 1–64): pooled connections per process
        /// - `REDIS_RECONNECT_BACKOFF_CAP` (default `2s`): longest pause between reconnect attempts
        /// - Throws: ``RedisError`` (`invalidURL`) or `ConfigurationError` naming the variable.
        public init(environment: EnvironmentReader) throws {
            self.init(
                url: try RedisURL(parsing: environment.string("REDIS_URL", default: "redis://127.0.0.1:6379/0")),
                connectTimeout: try environment.duration("REDIS_CONNECT_TIMEOUT", default: .seconds(2)),
                commandTimeout: try environment.duration("REDIS_COMMAND_TIMEOUT", default: .seconds(5)),
                poolSize: try environment.int("REDIS_POOL_SIZE", default: 4, range: 1...64),
                reconnectBackoffCap: try environment.duration("REDIS_RECONNECT_BACKOFF_CAP", default: .seconds(2))
            )
        }

        /// ``init(environment:)`` with the connections named `clientName` (`CLIENT LIST` shows who is who).
        public init(environment: EnvironmentReader, clientName: String) throws {
            try self.init(environment: environment)
            self.clientName = clientName
        }
    }

    private struct Pool {
        var idle: [RedisConnection] = []
        var opened = 0
        /// Tasks waiting for a connection, oldest first, by ticket.
        var waiters: [(ticket: Int, continuation: CheckedContinuation<RedisConnection, any Error>)] = []
        /// Tickets whose task was cancelled before it started waiting.
        var cancelledTickets: Set<Int> = []
        var nextTicket = 0
        var dedicated: [ObjectIdentifier: RedisConnection] = [:]
        var isShutDown = false
    }

    /// The settings this client was made with.
    public let configuration: Configuration
    let logger: Logger
    private let pool = Mutex(Pool())
    private let scripts = Mutex([String: Bool]())
    private let counter = Atomic<Int>(0)

    /// Creates a client; no connection is opened until the first command.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Waits for graceful shutdown or cancellation, then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection and fails commands that wait for one. Idempotent.
    public func shutdown() async {
        let (connections, waiters) = pool.withLock { pool -> ([RedisConnection], [CheckedContinuation<RedisConnection, any Error>]) in
            pool.isShutDown = true
            let all = pool.idle + Array(pool.dedicated.values)
            let waiters = pool.waiters.map(\.continuation)
            pool.idle = []
            pool.dedicated = [:]
            pool.waiters = []
            return (all, waiters)
        }
        for waiter in waiters { waiter.resume(throwing: RedisError(.clientShutdown, "the Redis client was shut down")) }
        for connection in connections { await connection.shutdown() }
    }

    // MARK: - Commands

    /// Sends one command and returns its reply.
    /// - Throws: ``RedisError``: `serverError` for an error reply, or a connection failure.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisReply {
        try await pipeline([command])[0].throwingError()
    }

    /// Sends `commands` in one round trip and returns their replies in order; error replies are returned, not thrown.
    /// - Throws: ``RedisError`` for connection failures and timeouts.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RedisReply] {
        if commands.isEmpty { return [] }
        return try await withConnection { connection in try connection.execute(commands, timeout: timeout) }
    }

    /// Runs `body` with a pooled connection, on that connection's thread. Use for several dependent round trips.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await connection.run(body)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Opens a connection outside the pool, for blocking reads (`XREADGROUP … BLOCK`) and subscriptions.
    /// Close it with ``closeDedicated(_:)``; ``shutdown()`` closes any still open.
    public func dedicatedConnection(role: String) throws -> RedisConnection {
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let connection = RedisConnection(configuration: configuration, name: "\(configuration.clientName)-\(role)-\(number)")
        let accepted = pool.withLock { pool -> Bool in
            if pool.isShutDown { return false }
            pool.dedicated[ObjectIdentifier(connection)] = connection
            return true
        }
        guard accepted else { throw RedisError(.clientShutdown, "the Redis client was shut down") }
        return connection
    }

    /// Closes a connection from ``dedicatedConnection(role:)``.
    public func closeDedicated(_ connection: RedisConnection) async {
        _ = pool.withLock { $0.dedicated.removeValue(forKey: ObjectIdentifier(connection)) }
        await connection.shutdown()
    }

    // MARK: - Scripts

    /// Runs a Lua script with `EVALSHA`; on `NOSCRIPT` (after a Redis restart or `SCRIPT FLUSH`) it runs it once with
    /// `EVAL`, which also caches it again. `EVAL` runs and loads in one step, so a flush racing the retry cannot fail it.
    /// - Throws: ``RedisError``; `serverError` carries the script's own error reply.
    @discardableResult
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisReply {
        try await evaluatePipelined([(script, keys, arguments)])[0].throwingError()
    }

    /// Runs several script calls in one round trip (each reply in order, error replies returned); calls answered
    /// `NOSCRIPT` are sent again with `EVAL` in a second round trip.
    public func evaluatePipelined(_ calls: [(RedisScript, [String], [String])]) async throws -> [RedisReply] {
        let commands = calls.map { script, keys, arguments in script.command(keys: keys, arguments: arguments) }
        var replies = try await pipeline(commands)
        let missing = replies.indices.filter { replies[$0].isNoScript }
        if !missing.isEmpty {
            let retried = try await pipeline(
                missing.map { index in
                    let (script, keys, arguments) = calls[index]
                    var command = RedisCommand("EVAL", script.source, String(keys.count))
                    command.append(contentsOf: keys)
                    command.append(contentsOf: arguments)
                    return command
                }
            )
            for (offset, index) in missing.enumerated() { replies[index] = retried[offset] }
        }
        return replies
    }

    // MARK: - Pool

    private func lease() async throws -> RedisConnection {
        enum Decision {
            case use(RedisConnection)
            case open(Int)
            case wait, shutDown
        }
        let decision = pool.withLock { pool -> Decision in
            if pool.isShutDown { return .shutDown }
            if let connection = pool.idle.popLast() { return .use(connection) }
            if pool.opened < configuration.poolSize {
                pool.opened += 1
                return .open(pool.opened)
            }
            return .wait
        }
        switch decision {
        case .use(let connection): return connection
        case .open(let number): return RedisConnection(configuration: configuration, name: "\(configuration.clientName)-pool-\(number)")
        case .shutDown: throw RedisError(.clientShutdown, "the Redis client was shut down")
        case .wait:
            // A cancelled task stops waiting at once (its command is not sent).
            let ticket = pool.withLock { pool in
                defer { pool.nextTicket += 1 }
                return pool.nextTicket
            }
            // A cancellation that came after the wait ended leaves its ticket behind: drop it.
            defer { _ = pool.withLock { $0.cancelledTickets.remove(ticket) } }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let immediate = pool.withLock { pool -> Result<RedisConnection, any Error>? in
                        if pool.isShutDown { return .failure(RedisError(.clientShutdown, "the Redis client was shut down")) }
                        if pool.cancelledTickets.remove(ticket) != nil { return .failure(CancellationError()) }
                        if let connection = pool.idle.popLast() { return .success(connection) }
                        pool.waiters.append((ticket, continuation))
                        return nil
                    }
                    if let immediate { continuation.resume(with: immediate) }
                }
            } onCancel: {
                let waiter = pool.withLock { pool -> CheckedContinuation<RedisConnection, any Error>? in
                    guard let index = pool.waiters.firstIndex(where: { $0.ticket == ticket }) else {
                        pool.cancelledTickets.insert(ticket)
                        return nil
                    }
                    return pool.waiters.remove(at: index).continuation
                }
                waiter?.resume(throwing: CancellationError())
            }
        }
    }

    private func release(_ connection: RedisConnection) {
        enum Decision {
            case handOver(CheckedContinuation<RedisConnection, any Error>)
            case kept, close
        }
        let decision = pool.withLock { pool -> Decision in
            if pool.isShutDown { return .close }
            if !pool.waiters.isEmpty { return .handOver(pool.waiters.removeFirst().continuation) }
            pool.idle.append(connection)
            return .kept
        }
        switch decision {
        case .handOver(let waiter): waiter.resume(returning: connection)
        case .kept: break
        case .close:
            // Released after shutdown(): nobody awaits this connection any more; stop its thread off this task.
            Task { await connection.shutdown() }
        }
    }
}

extension RedisReply {
    var isNoScript: Bool {
        if case .error(let message) = self { return message.hasPrefix("NOSCRIPT") }
        return false
    }
}
