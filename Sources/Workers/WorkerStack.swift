import FleetCore
import FleetStore
import KPI
import Logging
import PostgresNIO
import Queue
import WBKit

/// What a worker process needs for WB jobs, built from the environment: PostgreSQL (with migrations), sealed
/// account tokens, the WB client on the fleet-wide limiter, and the syncer.
public struct WorkerStack: Sendable {
    public let store: PostgresStore
    public let accounts: AccountStore
    public let raw: WBRawStore
    public let client: WBClient
    public let syncer: WBSyncer
    /// KPI results (`kpi.recompute`).
    public let kpi: KPIStore
    /// The `backups` table.
    public let backups: BackupStore
    let environment: EnvironmentReader
    let logger: Logger

    /// Reads `DATABASE_URL`, `POSTGRES_MAX_CONNECTIONS`, `JOYCITY_SECRET_KEYS`, `JOYCITY_SECRET_KEY_ID`, the `WB_*`
    /// keys of ``WBClient/Configuration`` and ``WBSyncer/Configuration``.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public init(environment: EnvironmentReader, redis: RedisClient, keyPrefix: String, logger: Logger) throws {
        let database = try DatabaseConfiguration(environment: environment)
        let postgres = database.makeClient(logger: logger)
        store = PostgresStore(client: postgres, server: database.displayName, logger: logger)
        accounts = AccountStore(client: postgres, secrets: try SecretBox(environment: environment), logger: logger)
        raw = WBRawStore(client: postgres, logger: logger)
        backups = BackupStore(client: postgres, logger: logger)
        kpi = KPIStore(client: postgres, logger: logger)
        self.environment = environment
        self.logger = logger
        client = WBClient(
            configuration: try .init(environment: environment),
            limiter: RateLimiter(redis: redis, prefix: keyPrefix),
            logger: logger
        )
        let store = self.store
        syncer = WBSyncer(
            accounts: accounts,
            raw: raw,
            client: client,
            configuration: try .init(environment: environment),
            waitForStore: { try await store.waitUntilReady() }
        )
    }

    /// A backup runner from the `S3_*`, `BACKUP_*` and `PG_*_PATH` settings.
    /// - Throws: ``ConfigurationError`` naming what is missing (S3_BUCKET, credentials…).
    public func makeBackupRunner() throws -> BackupRunner {
        BackupRunner(configuration: try BackupConfiguration(environment: environment), store: backups, logger: logger)
    }
}
