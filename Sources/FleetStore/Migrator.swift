import FleetCore
import Logging
import PostgresNIO

/// Applies ``Migration``s, once, whatever number of processes start at the same moment.
///
/// A session advisory lock serialises migrators; each migration runs in its own transaction and is recorded in
/// `schema_migrations` in that transaction, so a failed one rolls back completely and the next start retries it.
public struct Migrator: Sendable {
    /// The advisory lock key ("joycity" in ASCII): one migrator at a time per database.
    public static let lockKey: Int64 = 0x6A6F_7963_6974_79

    public let client: PostgresClient
    public let migrations: [Migration]
    public let logger: Logger
    /// How long to wait for another migrator's lock before giving up with a clear error (PostgreSQL's
    /// `lock_timeout` on the `pg_advisory_lock` call only).
    public let lockTimeout: Duration

    /// Creates a migrator for `migrations` (default: the fleet's).
    public init(client: PostgresClient, migrations: [Migration] = Migration.all, lockTimeout: Duration = .seconds(120), logger: Logger) {
        self.client = client
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.lockTimeout = lockTimeout
        self.logger = logger
    }

    /// Applies every migration not yet applied.
    /// - Returns: the versions this call applied (empty when the schema was current).
    /// - Throws: ``StoreError`` `migrationFailed` naming the migration (rolled back); `databaseUnavailable`.
    @discardableResult
    public func migrate() async throws -> [Int] {
        do {
            return try await client.withConnection { connection in
                try await lock(connection)
                do {
                    let applied = try await apply(on: connection)
                    try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    return applied
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    throw error
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.databaseUnavailable, "could not migrate the database; is PostgreSQL running and DATABASE_URL right?", underlying: error)
        }
    }

    /// Takes the migration lock, waiting at most ``lockTimeout``.
    /// - Throws: ``StoreError`` `databaseUnavailable` naming the lock and how to find its holder.
    private func lock(_ connection: PostgresConnection) async throws {
        let milliseconds = max(1, lockTimeout.milliseconds)
        try await connection.query(PostgresQuery(unsafeSQL: "SET lock_timeout = \(milliseconds)"), logger: logger)
        do {
            // Read the row: postgres-nio answers `query` at the row description, before the lock is granted, and a
            // lock timeout arrives with the row.
            for try await _ in try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger) {}
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
            _ = try? await connection.query("RESET lock_timeout", logger: logger)
            throw StoreError(
                .databaseUnavailable,
                "another session has held the migration lock for over \(lockTimeout) (a migration still running, or a stuck session): find it with SELECT pid, state, query FROM pg_stat_activity WHERE pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = \(UInt32(truncatingIfNeeded: Self.lockKey))); end it (pg_terminate_backend) or wait, then start again",
                underlying: error
            )
        }
        try await connection.query("RESET lock_timeout", logger: logger)
    }

    private func apply(on connection: PostgresConnection) async throws -> [Int] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """,
            logger: logger
        )
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
            done.insert(version)
        }
        var applied: [Int] = []
        for migration in migrations where !done.contains(migration.version) {
            do {
                try await connection.query("BEGIN", logger: logger)
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger
                )
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw StoreError(
                    .migrationFailed,
                    "migration \(migration.version) (\(migration.name)) failed and was rolled back; fix the database or the migration, then run `joycity migrate` again",
                    underlying: error
                )
            }
            logger.info("applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }
}
