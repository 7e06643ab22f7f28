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
    let ready = Mutex(false)

    /// Creates a store around `client` (which this service runs).
    public init(client: PostgresClient, migrations: [Migration] = Migration.all, logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            group.addTask {
                var delay = Duration.milliseconds(250)
                while !Task.isCancelled {
                    do {
                        try await Migrator(client: self.client, migrations: self.migrations, logger: self.logger).migrate()
                        self.ready.withLock { $0 = true }
                        return
                    } catch let error as StoreError where error.code == .migrationFailed {
                        self.logger.error("database migration failed; WB jobs wait until it is fixed", metadata: ["error": "\(error)"])
                    } catch {
                        self.logger.warning("PostgreSQL not reachable yet; retrying", metadata: ["error": "\(error)"])
                    }
                    try await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(10))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Whether migrations have been applied by this process.
    public var isReady: Bool { ready.withLock { $0 } }

    /// Waits until the schema is current.
    /// - Throws: ``StoreError`` `databaseUnavailable` after `timeout`.
    public func waitUntilReady(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isReady {
            if ContinuousClock.now >= deadline {
                throw StoreError(.databaseUnavailable, "PostgreSQL is not reachable or its migrations failed (see the log); check DATABASE_URL")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
