import Assignments
import AsyncHTTPClient
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import Queue
import ServiceLifecycle

/// The proxy edge's process: its services in start order (Redis when it has its own, PostgreSQL, the assignment
/// watcher, the HTTP server). `joycity proxy` runs them; tests build the same graph.
public struct ProxyServer: Sendable {
    /// Run these in one `ServiceGroup`.
    public let services: [any Service]

    /// Builds the proxy from the environment (``ProxyConfiguration``, `REDIS_URL`, `QUEUE_PREFIX`, `DATABASE_URL`,
    /// `JOYCITY_SECRET_KEYS` to open the accounts' portal credentials and seal their live sessions in Redis).
    /// - Parameters:
    ///   - redis: a Redis client to share (the caller runs it); nil: the proxy makes and runs its own.
    ///   - http: the upstream client to use (the caller shuts it down); nil: the proxy's own — redirects passed to the
    ///     browser, never followed; `PROXY_UPSTREAM_CONNECTIONS` (default 64) keep-alive connections per WB host —
    ///     shut down with the proxy.
    ///   - metrics: when given, `/metrics` and `/health` are served on `PROXY_METRICS_HOST:PROXY_METRICS_PORT` (default
    ///     `127.0.0.1:9466`, 0: off); nil when the process serves its registry elsewhere (`joycity all`).
    ///   - onRunning: receives the bound port (useful with `PROXY_PORT=0`).
    /// - Throws: ``ConfigurationError`` naming the variable.
    public static func make(
        environment: EnvironmentReader,
        logger: Logger,
        redis sharedRedis: RedisClient? = nil,
        http sharedHTTP: HTTPClient? = nil,
        metrics: PrometheusCollectorRegistry? = nil,
        onRunning: (@Sendable (Int) async -> Void)? = nil
    ) async throws -> ProxyServer {
        let configuration = try ProxyConfiguration(environment: environment)
        var services: [any Service] = []
        let redis: RedisClient
        if let sharedRedis {
            redis = sharedRedis
        } else {
            redis = RedisClient(configuration: try .init(environment: environment, clientName: "joycity-proxy"), logger: logger)
            services.append(redis)
        }
        let prefix = try StreamQueue.Configuration(environment: environment).prefix
        let postgres = try DatabaseConfiguration(environment: environment).makeClient(logger: logger)
        services.append(postgres)
        let (_, _, gate) = configuration.session.sessionGate(redis: redis, prefix: prefix, postgres: postgres, logger: logger)
        let assignmentConfiguration = try AssignmentConfiguration(environment: environment)
        let store = AssignmentStore(
            client: postgres,
            configuration: assignmentConfiguration,
            events: nil,
            logger: logger
        )
        let cache = ArticleCache(store: store, ttl: configuration.articlesCacheTTL)
        services.append(
            AssignmentWatcher(
                redis: redis,
                prefix: prefix,
                logger: logger,
                onResync: { cache.forgetAll() },
                onChange: { change in cache.forget(change.users) }
            )
        )
        let http: HTTPClient
        if let sharedHTTP {
            http = sharedHTTP
        } else {
            var client = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
            client.connectionPool = .init(
                idleTimeout: .seconds(60),
                concurrentHTTP1ConnectionsPerHostSoftLimit: try environment.int("PROXY_UPSTREAM_CONNECTIONS", default: 64, range: 1...4096)
            )
            http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
            services.append(UpstreamClientService(client: http))
        }
        let secrets = try SecretBox(environment: environment)
        let keeper = PortalSessionKeeper(
            store: PortalSessionStore(redis: redis, prefix: prefix, secrets: secrets),
            accounts: AccountStore(client: postgres, secrets: secrets, logger: logger),
            http: http,
            configuration: configuration,
            logger: logger
        )
        let responder = ProxyResponder(
            configuration: configuration,
            tokens: await configuration.session.tokenIssuer(),
            gate: gate,
            keeper: keeper,
            articles: cache,
            seal: CursorSeal(key: configuration.cursorKey),
            http: http,
            metrics: ProxyMetrics(),
            staticCache: StaticCache(capacity: configuration.staticCacheBytes),
            balance: PortalBalance(postgres: postgres, configuration: assignmentConfiguration, logger: logger),
            logger: logger
        )
        let router = Router()
        router.add(middleware: ProxyMiddleware(responder: responder))
        services.append(
            Application(
                router: router,
                configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "joycity-proxy"),
                onServerRunning: { channel in await onRunning?(channel.localAddress?.port ?? configuration.port) },
                logger: logger
            )
        )
        if let metrics {
            let port = try environment.int("PROXY_METRICS_PORT", default: 9466, range: 0...65535)
            if port != 0 {
                services.append(
                    PrometheusExposition.application(
                        registry: metrics,
                        host: environment.string("PROXY_METRICS_HOST", default: "127.0.0.1"),
                        port: port,
                        serverName: "joycity-proxy-metrics",
                        logger: logger
                    )
                )
            }
        }
        return ProxyServer(services: services)
    }
}

/// Shuts the proxy's own upstream client down when the service group stops (after the HTTP server, which stops
/// first: services stop in reverse order).
struct UpstreamClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

/// Every request goes to the responder: the proxy has no routes of its own but its health check.
struct ProxyMiddleware<Context: RequestContext>: RouterMiddleware {
    let responder: ProxyResponder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await responder.respond(request)
    }
}
