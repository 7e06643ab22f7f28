import AvatarStorage
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import Hummingbird
import HummingbirdCore
import Logging
import PostgresNIO
import Prometheus
import Queue
import ServiceLifecycle

/// The parts ``APIServer/make(environment:logger:redis:metrics:onRunning:)`` builds the API from.
extension APIServer {
    /// The database the API queries: `API_DATABASE_URL` (default: the owner's), as `API_DATABASE_ROLE`, with a
    /// `statement_timeout` of the request timeout (no statement outlives the request that sent it).
    /// - Throws: ``ConfigurationError`` naming the variable.
    static func apiDatabase(environment: EnvironmentReader, owner: DatabaseConfiguration, requestTimeout: Duration) throws -> DatabaseConfiguration {
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
        database.statementTimeout = requestTimeout
        return database
    }

    /// The readiness check of `/api/ready`: Redis, PostgreSQL and (when this API migrates) the migrations.
    static func readiness(
        redis: RedisClient,
        postgres: PostgresClient,
        server displayName: String,
        migrator: PostgresStore?,
        requestTimeout: Duration
    ) -> @Sendable () async -> [String: String] {
        let redisName = redis.configuration.url.endpoint
        return {
            var checks: [String: String] = [:]
            do {
                let reply = try await redis.send(RedisCommand("PING"))
                checks["redis"] = reply.string == "PONG" ? "ok" : "Redis answered \(reply)"
            } catch {
                checks["redis"] = "Redis at \(redisName) is not reachable"
            }
            do {
                // Well inside API_REQUEST_TIMEOUT, so the answer names the failing check.
                try await postgres.ping(timeout: min(.seconds(2), requestTimeout / 3), server: displayName)
                checks["postgres"] = "ok"
            } catch {
                checks["postgres"] = "PostgreSQL at \(displayName) is not reachable"
            }
            if let migrator { checks["migrations"] = migrator.isReady ? "ok" : "not applied yet (see the log)" }
            return checks
        }
    }

    /// The router with its middleware (outermost first) and every controller's routes.
    static func router(
        api: APIServices,
        authenticator: Authenticator,
        webUI: WebUIController
    ) -> (Router<APIRequestContext>, APIRoutes) {
        let configuration = api.configuration
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
        AssignmentsController(api: api).addRoutes(to: routes)
        KPIController(api: api).addRoutes(to: routes)
        InternalController(api: api).addRoutes(to: routes)
        webUI.addRoutes(to: routes)
        return (router, routes)
    }

    /// The HTTP/1.1 application: slow-client deadlines, a connection cap, the bound port reported to `onRunning`.
    static func application(
        router: Router<APIRequestContext>,
        configuration: APIConfiguration,
        logger: Logger,
        onRunning: (@Sendable (Int) async -> Void)?
    ) -> any Service {
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
        return app
    }

    /// Sign-in and sessions: the token issuer, the stores, the session gate (Redis cache with revocation) and the
    /// authenticator over them.
    static func authentication(
        configuration: APIConfiguration,
        redis: RedisClient,
        prefix: String,
        postgres: PostgresClient,
        logger: Logger
    ) async -> (TokenIssuer, UserStore, SessionStore, SessionGate, Authenticator) {
        let tokens = await configuration.session.tokenIssuer()
        let (users, sessions, gate) = configuration.session.sessionGate(redis: redis, prefix: prefix, postgres: postgres, logger: logger)
        let authenticator = Authenticator(tokens: tokens, gate: gate, configuration: configuration)
        return (tokens, users, sessions, gate, authenticator)
    }

    /// The avatar store in `API_AVATAR_BUCKET` (default `S3_BUCKET`), or nil without S3 settings (uploads answer 503).
    /// - Throws: ``ConfigurationError`` for S3 settings that are there but wrong.
    static func avatarStore(environment: EnvironmentReader, maxBytes: Int) throws -> AvatarStore? {
        guard let bucket = environment.string("API_AVATAR_BUCKET") ?? environment.string("S3_BUCKET") else { return nil }
        let s3Environment = EnvironmentReader(values: environment.values.merging(["S3_BUCKET": bucket]) { $1 })
        return try AvatarStore(environment: s3Environment, maxBytes: maxBytes)
    }

    /// Prometheus on a listener of its own (`API_METRICS_HOST:API_METRICS_PORT`), never on the public port; nil when
    /// `API_METRICS_PORT` is 0.
    static func metricsListener(registry: PrometheusCollectorRegistry, environment: EnvironmentReader, logger: Logger) throws -> (any Service)? {
        let port = try environment.int("API_METRICS_PORT", default: 9465, range: 0...65535)
        guard port != 0 else { return nil }
        return PrometheusExposition.application(
            registry: registry,
            host: environment.string("API_METRICS_HOST", default: "127.0.0.1"),
            port: port,
            serverName: "joycity-api-metrics",
            logger: logger
        )
    }
}
