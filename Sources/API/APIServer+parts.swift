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
        authenticator: Authenticator
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
        InternalController(api: api).addRoutes(to: routes)
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
}
