import CHiredis
import FleetCore
import Foundation
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One hiredis connection and the one thread it runs on.
///
/// Every hiredis call runs on the connection's own thread, never on Swift's cooperative pool or an event loop:
/// ``run(_:)`` hops there and back. All mutable state is touched only on that thread, and ``run(_:)`` is called by
/// one task at a time (``RedisClient`` leases connections out), which is why the class is `@unchecked Sendable`.
///
/// Reads wait with `poll(2)` against a deadline, so every call is bounded; a command that times out closes the
/// connection (its reply would arrive out of order) and the next call reconnects, backing off up to
/// ``RedisClient/Configuration/reconnectBackoffCap`` while Redis stays unreachable.
public final class RedisConnection: @unchecked Sendable {
    private let configuration: RedisClient.Configuration
    private let name: String
    private let thread: NIOThreadPool
    private var context: UnsafeMutablePointer<redisContext>?
    private var consecutiveFailures = 0
    private var nextConnectAttempt: ContinuousClock.Instant?
    private var onConnect: [RedisCommand] = []
    private let interrupted = Atomic<Bool>(false)

    init(configuration: RedisClient.Configuration, name: String) {
        self.configuration = configuration
        self.name = name
        self.thread = NIOThreadPool(numberOfThreads: 1)
        self.thread.start()
    }

    deinit {
        if let context { redisFree(context) }
    }

    /// Runs `body` on this connection's thread.
    /// - Throws: ``RedisError`` with code `clientShutdown` once the connection is shut down, or what `body` throws.
    public func run<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        do {
            return try await thread.runIfActive { try body(self) }
        } catch let error as RedisError {
            throw error
        } catch let error as NIOThreadPoolError.ThreadPoolInactive {
            _ = error
            throw RedisError(.clientShutdown, "the Redis client was shut down")
        }
    }

    /// Sends `commands` as one pipeline and reads their replies, waiting at most `timeout` in all for them.
    ///
    /// Error replies come back as ``RedisReply/error(_:)``; broken connections and timeouts throw.
    /// Call only from ``run(_:)`` (package access: outside the package, commands go through ``RedisClient``).
    package func execute(_ commands: [RedisCommand], timeout: Duration? = nil) throws -> [RedisReply] {
        try execute(commands, timeout: timeout) { RedisReply($0) }
    }

    /// Sends one command and reads its reply. Call only from ``run(_:)``.
    package func execute(_ command: RedisCommand, timeout: Duration? = nil) throws -> RedisReply {
        try execute([command], timeout: timeout)[0]
    }

    /// Commands replayed after every (re)connect, after AUTH and SELECT: `SUBSCRIBE` for a subscriber.
    /// Their replies are discarded. Call only from ``run(_:)``.
    func setOnConnect(_ commands: [RedisCommand]) {
        onConnect = commands
    }

    /// Sends commands without reading replies (pub/sub). Call only from ``run(_:)``.
    func send(_ commands: [RedisCommand]) throws {
        let context = try connectedContext()
        try write(commands, to: context)
    }

    /// Waits up to `timeout` for one unsolicited reply (a pub/sub message). `nil` when none came: a quiet
    /// subscription is not an error. Call only from ``run(_:)``.
    func readPush(timeout: Duration) throws -> RedisReply? {
        let context = try connectedContext()
        return try readReply(from: context, deadline: .now + timeout, timeoutIsError: false) { RedisReply($0) }
    }

    /// Makes a blocking read in flight on this connection (or the next one) give up within 100 ms with a
    /// `connectionClosed` error; the connection reopens on next use. Safe to call from any thread.
    public func interrupt() {
        interrupted.store(true, ordering: .relaxed)
    }

    /// Whether a live hiredis context is open.
    var isConnected: Bool { context != nil }

    /// Closes the socket; the next call reconnects. Call only from ``run(_:)``.
    func disconnect() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Closes the socket and stops the thread.
    func shutdown() async {
        try? await thread.runIfActive { self.disconnect() }
        try? await thread.shutdownGracefully()
    }

    // MARK: - Connecting

    private func connectedContext() throws -> UnsafeMutablePointer<redisContext> {
        if let context {
            if context.pointee.err == 0 { return context }
            disconnect()
        }
        if let nextConnectAttempt {
            let wait = nextConnectAttempt - .now
            if wait > .zero { sleepOnThisThread(wait) }
        }
        do {
            let context = try connect()
            consecutiveFailures = 0
            nextConnectAttempt = nil
            return context
        } catch {
            consecutiveFailures += 1
            let backoff = Backoff(base: configuration.reconnectBackoffBase, cap: configuration.reconnectBackoffCap, jitter: .equal)
            nextConnectAttempt = .now + backoff.delay(afterFailures: consecutiveFailures)
            throw error
        }
    }

    private func connect() throws -> UnsafeMutablePointer<redisContext> {
        let url = configuration.url
        let timeout = RedisConnection.timeval(configuration.connectTimeout)
        guard let context = redisConnectWithTimeout(url.host, Int32(url.port), timeout) else {
            throw RedisError(.connectionFailed, "could not allocate a hiredis context for Redis at \(url.endpoint)")
        }
        if context.pointee.err != 0 {
            let reason = RedisConnection.errorString(context)
            redisFree(context)
            let hint: String
            if reason.localizedCaseInsensitiveContains("refused") {
                hint = "Redis at \(url.endpoint) refused the connection; is redis-server running? (REDIS_URL)"
            } else if reason.localizedCaseInsensitiveContains("timed out") || reason.localizedCaseInsensitiveContains("timeout") {
                hint = "Redis at \(url.endpoint) did not answer within \(configuration.connectTimeout); check the host and firewall (REDIS_URL)"
            } else {
                hint = "could not connect to Redis at \(url.endpoint): \(reason); check REDIS_URL"
            }
            throw RedisError(.connectionFailed, hint)
        }
        _ = redisSetTimeout(context, RedisConnection.timeval(configuration.commandTimeout))
        _ = redisEnableKeepAlive(context)
        self.context = context

        var handshake: [RedisCommand] = []
        if let password = url.password {
            handshake.append(url.user.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
        }
        if url.database != 0 { handshake.append(RedisCommand("SELECT", String(url.database))) }
        handshake.append(RedisCommand("CLIENT", "SETNAME", name))
        do {
            let replies = try execute(handshake, on: context, timeout: configuration.commandTimeout) { RedisReply($0) }
            for (command, reply) in zip(handshake, replies) {
                guard case .error(let message) = reply else { continue }
                let word = command.arguments[0]
                if word == "AUTH" {
                    throw RedisError(
                        .authenticationFailed,
                        "Redis at \(url.endpoint) rejected the credentials (\(message)); check the user and password in REDIS_URL"
                    )
                }
                if word == "SELECT" {
                    throw RedisError(
                        .authenticationFailed,
                        "Redis at \(url.endpoint) refused database \(url.database) (\(message)); check the /db part of REDIS_URL"
                    )
                }
            }
            if !onConnect.isEmpty { try write(onConnect, to: context) }
        } catch {
            disconnect()
            throw error
        }
        return context
    }

    // MARK: - Wire

    /// Sends `commands` as one pipeline and hands each reply, as hiredis parsed it, to `transform` (the reply is
    /// freed afterwards): for large replies a caller builds its own values without the ``RedisReply`` tree.
    /// Call only from ``run(_:)``.
    func execute<T>(_ commands: [RedisCommand], timeout: Duration? = nil, transform: (UnsafePointer<redisReply>) throws -> T) throws -> [T] {
        let context = try connectedContext()
        return try execute(commands, on: context, timeout: timeout ?? configuration.commandTimeout, transform: transform)
    }

    private func execute<T>(
        _ commands: [RedisCommand],
        on context: UnsafeMutablePointer<redisContext>,
        timeout: Duration,
        transform: (UnsafePointer<redisReply>) throws -> T
    ) throws -> [T] {
        try write(commands, to: context)
        let deadline = ContinuousClock.now + timeout
        var replies: [T] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            guard let reply = try readReply(from: context, deadline: deadline, timeoutIsError: true, transform: transform) else {
                preconditionFailure("readReply returns a reply or throws when timeoutIsError is set")
            }
            replies.append(reply)
        }
        return replies
    }

    private func write(_ commands: [RedisCommand], to context: UnsafeMutablePointer<redisContext>) throws {
        if commands.isEmpty { return }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(commands.reduce(0) { $0 + $1.respSizeEstimate })
        for command in commands { command.appendRESP(to: &encoded) }
        let status = encoded.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { redisAppendFormattedCommand(context, $0, bytes.count) }
        }
        if status != REDIS_OK { throw brokenConnection(context, while: "queueing \(commands.first?.description ?? "commands")") }
        var done: Int32 = 0
        repeat {
            if redisBufferWrite(context, &done) == REDIS_ERR { throw brokenConnection(context, while: "sending commands") }
        } while done == 0
    }

    private func readReply<T>(
        from context: UnsafeMutablePointer<redisContext>,
        deadline: ContinuousClock.Instant,
        timeoutIsError: Bool,
        transform: (UnsafePointer<redisReply>) throws -> T
    ) throws -> T? {
        while true {
            var raw: UnsafeMutableRawPointer?
            if redisGetReplyFromReader(context, &raw) == REDIS_ERR {
                throw brokenConnection(context, while: "parsing a reply", code: .protocolError)
            }
            if let raw {
                defer { freeReplyObject(raw) }
                return try transform(UnsafePointer(raw.assumingMemoryBound(to: redisReply.self)))
            }
            let remaining = deadline - .now
            if remaining <= .zero {
                if !timeoutIsError { return nil }
                disconnect()
                throw RedisError(
                    .timeout,
                    "Redis at \(configuration.url.endpoint) did not answer within the command timeout; the connection was closed and will be reopened (REDIS_COMMAND_TIMEOUT)"
                )
            }
            if interrupted.exchange(false, ordering: .relaxed) {
                disconnect()
                throw RedisError(.connectionClosed, "the read from Redis at \(configuration.url.endpoint) was interrupted (shutting down)")
            }
            var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
            let waitMs = Int32(clamping: min(100, max(1, remaining.milliseconds)))
            let ready = poll(&descriptor, 1, waitMs)
            if ready < 0 {
                if errno == EINTR { continue }
                throw brokenConnection(context, while: "waiting for a reply")
            }
            if ready == 0 { continue }
            if redisBufferRead(context) == REDIS_ERR {
                throw brokenConnection(context, while: "reading a reply")
            }
        }
    }

    private func brokenConnection(
        _ context: UnsafeMutablePointer<redisContext>,
        while action: String,
        code: RedisError.Code = .connectionClosed
    ) -> RedisError {
        let reason = RedisConnection.errorString(context)
        disconnect()
        return RedisError(
            code,
            "the connection to Redis at \(configuration.url.endpoint) broke while \(action) (\(reason.isEmpty ? "connection closed" : reason)); it will be reopened"
        )
    }

    // MARK: - Helpers

    static func timeval(_ duration: Duration) -> Glibc.timeval {
        let ms = duration.milliseconds
        return Glibc.timeval(tv_sec: Int(ms / 1000), tv_usec: Int((ms % 1000) * 1000))
    }

    static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { bytes in
            let count = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes.prefix(count), as: UTF8.self)
        }
    }

    private func sleepOnThisThread(_ duration: Duration) {
        var request = timespec(tv_sec: Int(duration.milliseconds / 1000), tv_nsec: Int((duration.milliseconds % 1000) * 1_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
