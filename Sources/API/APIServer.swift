import Assignments
import AvatarStorage
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import HummingbirdCore
import KPI
import Logging
import NIOCore
import PostgresNIO
import Prometheus
import Queue
import ServiceLifecycle
import WBKit

/// The API process: its services (Redis, the migrating store, the API's own database client, the HTTP server) and
/// the routes, built from the environment.
///
/// - Configuration keys (environment), besides ``APIConfiguration``'s and the shared `REDIS_URL`, `QUEUE_PREFIX`,
///   `DATABASE_URL`, `JOYCITY_SECRET_KEYS`, `WB_*`, `S3_*`:
///   - `API_DATABASE_URL` (default `DATABASE_URL`): the server the API queries.
///   - `API_DATABASE_ROLE` (default `joycity_api`; empty: the login role): the role every API connection switches to.
///     It owns nothing, so the ADMIN guard in the database holds against it.
///   - `API_MIGRATE` (default `true`): apply migrations at start through `DATABASE_URL` (the owner). Set `false` when
///     the API's credentials may not migrate; it then waits for another process to.
///   - `API_AVATAR_BUCKET` (default `S3_BUCKET`): where avatars go; without S3 settings avatar uploads answer 503.
///   - `API_METRICS_HOST` (default `127.0.0.1`), `API_METRICS_PORT` (default `9465`, 0: off): where `/metrics` and
///     `/health` listen when `metrics` is given — a port of their own, not the public one.
public struct APIServer: Sendable {
    /// The services to run, in start order.
    public let services: [any Service]
    /// The routes (for the OpenAPI document and tests).
    public let routes: APIRoutes
    /// What the handlers use.
    public let api: APIServices

    /// Builds the API from `environment`.
    /// - Parameters:
    ///   - redis: a Redis client to share (the caller runs it); nil: the server makes and runs its own.
    ///   - onRunning: receives the bound port (useful with `API_PORT=0` in tests).
    /// - Throws: ``ConfigurationError`` naming the variable.
    public static func make(
        environment: EnvironmentReader,
        logger: Logger,
        redis sharedRedis: RedisClient? = nil,
        metrics: PrometheusCollectorRegistry? = nil,
        onRunning: (@Sendable (Int) async -> Void)? = nil
    ) async throws -> APIServer {
        let configuration = try APIConfiguration(environment: environment)
        var services: [any Service] = []
        let redis: RedisClient
        if let sharedRedis {
            redis = sharedRedis
        } else {
            redis = RedisClient(configuration: try .init(environment: environment, clientName: "joycity-api"), logger: logger)
            services.append(redis)
        }
        let queue = StreamQueue(redis: redis, configuration: try .init(environment: environment))
        let prefix = queue.configuration.prefix

        let owner = try DatabaseConfiguration(environment: environment)
        var small = owner
        small.maxConnections = 1
        let migrator: PostgresStore? =
            try environment.bool("API_MIGRATE", default: true)
            ? PostgresStore(client: small.makeClient(logger: logger), server: owner.displayName, logger: logger) : nil
        if let migrator { services.append(migrator) }
        let database = try apiDatabase(environment: environment, owner: owner, requestTimeout: configuration.requestTimeout)
        let postgres = database.makeClient(logger: logger)
        services.append(postgres)
        services.append(DatabaseLoginCheck(client: postgres, logger: logger))

        let (tokens, users, sessions, gate, authenticator) = await authentication(
            configuration: configuration,
            redis: redis,
            prefix: prefix,
            postgres: postgres,
            logger: logger
        )
        let assignmentConfiguration = try AssignmentConfiguration(environment: environment)
        let assignmentEvents = AssignmentEvents(client: postgres, queue: queue, debounce: assignmentConfiguration.invalidateDebounce, logger: logger)
        let api = APIServices(
            configuration: configuration,
            tokens: tokens,
            authenticator: authenticator,
            gate: gate,
            sessions: sessions,
            users: users,
            accounts: AccountStore(client: postgres, secrets: try SecretBox(environment: environment), logger: logger),
            backups: BackupStore(client: postgres, logger: logger),
            assignments: AssignmentStore(client: postgres, configuration: assignmentConfiguration, events: assignmentEvents, logger: logger),
            kpi: KPIStore(client: postgres, timeZone: assignmentConfiguration.timeZone, logger: logger),
            queue: queue,
            hasher: PasswordHasher(cost: configuration.bcryptCost),
            loginLimiter: LoginLimiter(
                redis: redis,
                prefix: prefix,
                perAccount: configuration.loginLimitPerAccount,
                perAccountGlobal: configuration.loginLimitPerAccountGlobal,
                perIP: configuration.loginLimitPerIP,
                logger: logger
            ),
            avatars: try avatarStore(environment: environment, maxBytes: configuration.avatarMaxBytes),
            wb: WBClient(configuration: try .init(environment: environment), limiter: RateLimiter(redis: redis, prefix: prefix), logger: logger),
            readiness: readiness(
                redis: redis,
                postgres: postgres,
                server: database.displayName,
                migrator: migrator,
                requestTimeout: configuration.requestTimeout
            ),
            logger: logger
        )

        services.append(AssignmentOutboxService(events: assignmentEvents))
        let webUI = try WebUIController.make(environment: environment, allowedOrigins: configuration.allowedOrigins, logger: logger)
        let (router, routes) = router(api: api, authenticator: authenticator, webUI: webUI)
        let app = application(router: router, configuration: configuration, logger: logger, onRunning: onRunning)
        services.append(app)
        if let metrics, let listener = try metricsListener(registry: metrics, environment: environment, logger: logger) {
            services.append(listener)
        }
        services.append(SessionJanitor(sessions: sessions, logger: logger))
        return APIServer(services: services, routes: routes, api: api)
    }
}
