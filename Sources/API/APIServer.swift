import AvatarStorage
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import HummingbirdCore
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
            var redisConfiguration = try RedisClient.Configuration(environment: environment)
            redisConfiguration.clientName = "joycity-api"
            redis = RedisClient(configuration: redisConfiguration, logger: logger)
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
        var database = owner
        if let url = environment.string("API_DATABASE_URL") {
            database = try DatabaseConfiguration(url: url, variable: "API_DATABASE_URL")
            database.maxConnections = owner.maxConnections
        }
        let role = environment.string("API_DATABASE_ROLE", default: "joycity_api")
        if !role.isEmpty {
            guard DatabaseConfiguration.isValidRole(role) else {
                throw ConfigurationError(
                    variable: "API_DATABASE_ROLE",
                    value: role,
                    expected: "a lower-case PostgreSQL role name, or empty for the login role"
                )
            }
            database.role = role
        }
        // No statement outlives the request that sent it (the request deadline cancels the work too).
        database.statementTimeout = configuration.requestTimeout
        let postgres = database.makeClient(logger: logger)
        services.append(postgres)

        let tokens = await TokenIssuer(
            keys: configuration.jwtKeys,
            activeKeyID: configuration.jwtActiveKeyID,
            issuer: configuration.issuer,
            audience: configuration.audience,
            accessTTL: configuration.accessTTL
        )
        let users = UserStore(client: postgres, logger: logger)
        let sessions = SessionStore(client: postgres, logger: logger)
        let gate = SessionGate(
            redis: redis,
            prefix: prefix,
            sessions: sessions,
            users: users,
            cacheTTL: configuration.sessionCacheTTL,
            revokedTTL: configuration.accessTTL,
            logger: logger
        )
        let authenticator = Authenticator(tokens: tokens, gate: gate, configuration: configuration)
        var avatars: AvatarStore?
        if let bucket = environment.string("API_AVATAR_BUCKET") ?? environment.string("S3_BUCKET") {
            let s3Environment = EnvironmentReader(values: environment.values.merging(["S3_BUCKET": bucket]) { $1 })
            avatars = try AvatarStore(environment: s3Environment, maxBytes: configuration.avatarMaxBytes)
        }
        let displayName = database.displayName
        let redisName = redis.configuration.url.endpoint
        let api = APIServices(
            configuration: configuration,
            tokens: tokens,
            authenticator: authenticator,
            gate: gate,
            sessions: sessions,
            users: users,
            accounts: AccountStore(client: postgres, secrets: try SecretBox(environment: environment), logger: logger),
            backups: BackupStore(client: postgres, logger: logger),
            queue: queue,
            hasher: PasswordHasher(cost: configuration.bcryptCost),
            loginLimiter: LoginLimiter(
                redis: redis,
                prefix: prefix,
                perAccount: configuration.loginLimitPerAccount,
                perIP: configuration.loginLimitPerIP,
                logger: logger
            ),
            avatars: avatars,
            wb: WBClient(configuration: try .init(environment: environment), limiter: RateLimiter(redis: redis, prefix: prefix), logger: logger),
            readiness: {
                var checks: [String: String] = [:]
                do {
                    let reply = try await redis.send(RedisCommand("PING"))
                    checks["redis"] = reply.string == "PONG" ? "ok" : "Redis answered \(reply)"
                } catch {
                    checks["redis"] = "Redis at \(redisName) is not reachable"
                }
                do {
                    // Well inside API_REQUEST_TIMEOUT, so the answer names the failing check.
                    try await postgres.ping(timeout: min(.seconds(2), configuration.requestTimeout / 3), server: displayName)
                    checks["postgres"] = "ok"
                } catch {
                    checks["postgres"] = "PostgreSQL at \(displayName) is not reachable"
                }
                if let migrator { checks["migrations"] = migrator.isReady ? "ok" : "not applied yet (see the log)" }
                return checks
            },
            logger: logger
        )

        let router = Router(context: APIRequestContext.self)
        let routes = APIRoutes(
            router: router,
            authenticator: authenticator,
            internalSecret: configuration.internalSecret,
            requestTimeout: configuration.requestTimeout
        )
        // Outermost first: security headers and CORS wrap the error responses RequestIDMiddleware makes.
        router.add(middleware: SecurityHeadersMiddleware(hstsMaxAge: configuration.hstsMaxAge))
        router.add(middleware: CORSAllowListMiddleware { configuration.allowsOrigin($0) })
        router.add(
            middleware: RequestIDMiddleware(
                maxBody: configuration.maxBody,
                allowedMethods: { request in routes.methods(matching: request.uri.path, revealInternal: routes.carriesInternalSecret(request)) },
                translate: APIError.translate
            )
        )
        router.add(middleware: MetricsMiddleware())
        AuthController(api: api).addRoutes(to: routes)
        UsersController(api: api).addRoutes(to: routes)
        AccountsController(api: api).addRoutes(to: routes)
        BackupsController(api: api).addRoutes(to: routes)
        QueuesController(api: api).addRoutes(to: routes)
        OperationsController(api: api, routes: routes).addRoutes(to: routes)
        InternalController(api: api).addRoutes(to: routes)
        if let metrics {
            router.get("/metrics") { _, _ in PrometheusExposition.response(metrics) }
        }
        let app = Application(
            router: router,
            server: SlowClientGuard.http1(
                idleTimeout: configuration.idleTimeout,
                headerTimeout: configuration.headerTimeout,
                bodyTimeout: configuration.bodyTimeout
            ),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "joycity-api",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)
            ),
            onServerRunning: { channel in await onRunning?(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
        services.append(app)
        services.append(SessionJanitor(sessions: sessions, logger: logger))
        return APIServer(services: services, routes: routes, api: api)
    }
}
