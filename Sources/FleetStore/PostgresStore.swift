import FleetCore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The process's PostgreSQL: runs the `PostgresClient` and applies migrations at start (retrying until the database
/// answers), then stays up until graceful shutdown. Run it before the services that use it, in one `ServiceGroup`.
///
/// ```swift
/// let store = PostgresStore(client: DatabaseConfiguration(environment: env).makeClient(logger: logger), logger: logger)
/// try await ServiceGroup(services: [redis, store, worker], …).run()
/// try await store.waitUntilReady()          // in a job: the schema is current from here on
/// ```
public final class PostgresStore: Service, Sendable {
    public let client: PostgresClient
    public let logger: Logger
    let migrations: [Migration]
    let ready = AsyncLatch()

    /// Creates a store around `client` (which this service runs).
    /// The server, for messages.
    let server: String

    public init(client: PostgresClient, server: String = "DATABASE_URL", migrations: [Migration] = Migration.all, logger: Logger) {
        self.client = client
        self.server = server
        self.migrations = migrations
        self.logger = logger
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            group.addTask {
                // Until PostgreSQL answers and the migrations apply: 250 ms doubling to 10 s.
                let backoff = Backoff(base: .milliseconds(250), cap: .seconds(10))
                var failures = 0
                while !Task.isCancelled {
                    do {
                        try await self.client.ping(server: self.server)
                        try await Migrator(client: self.client, migrations: self.migrations, logger: self.logger).migrate()
                        self.logger.info("database schema is current", metadata: ["db.server": "\(self.server)"])
                        self.ready.signal()
                        return
                    } catch let error as StoreError where error.code == .migrationFailed {
                        self.logger.error("database migration failed; WB jobs wait until it is fixed", metadata: ["error": "\(error)"])
                    } catch {
                        self.logger.warning("PostgreSQL not reachable yet; retrying", metadata: ["error": "\(error)"])
                    }
                    failures += 1
                    try await Task.sleep(for: backoff.delay(afterFailures: failures))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Whether migrations have been applied by this process.
    public var isReady: Bool { ready.isSignalled }

    /// Waits until the schema is current (woken when the migrations finish, not by polling).
    /// - Throws: ``StoreError`` `databaseUnavailable` after `timeout`; `CancellationError` when the task is cancelled.
    public func waitUntilReady(timeout: Duration = .seconds(30)) async throws {
        if await ready.wait(until: .now + timeout) { return }
        try Task.checkCancellation()
        throw StoreError(.databaseUnavailable, "PostgreSQL is not reachable or its migrations failed (see the log); check DATABASE_URL")
    }
}

extension PostgresClient {
    /// Runs `SELECT 1`, failing after `timeout` (postgres-nio waits for a connection as long as it takes, so a
    /// server that is down would otherwise hang the caller).
    /// - Throws: ``StoreError`` `databaseUnavailable` naming the server.
    public func ping(timeout: Duration = .seconds(5), server: String) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await self.query("SELECT 1")
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let answered = try await group.next() ?? false
            group.cancelAll()
            if !answered {
                throw StoreError(
                    .databaseUnavailable,
                    "PostgreSQL at \(server) did not answer within \(timeout); is it running, and is DATABASE_URL right?"
                )
            }
        }
    }
}
