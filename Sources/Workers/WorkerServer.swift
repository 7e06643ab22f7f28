import FleetCore
import FleetHTTP
import FleetStore
import Logging
import Queue
import ServiceLifecycle

/// A worker process's service graph, built from the environment (as `APIServer.make` builds the API's), so the
/// executable and the tests run the same graph. Services are in start order (shutdown runs in reverse): Redis,
/// PostgreSQL (migrations at start), the queue worker, the metrics endpoint.
public struct WorkerServer: Sendable {
    /// The Redis client (the caller may share it, as `joycity all` does with the API).
    public let redis: RedisClient
    /// The queue worker.
    public let worker: QueueWorker
    /// PostgreSQL, accounts, the WB syncer and the backup store.
    public let stack: WorkerStack
    /// The services to run, in start order.
    public let services: [any Service]

    /// Builds the graph.
    ///
    /// - Configuration keys (environment), besides `REDIS_*`, `QUEUE_*`, `WORKER_*` and ``WorkerStack``'s:
    ///   `METRICS_HOST` (default `127.0.0.1`) and `METRICS_PORT` (default `9464`, 0: off) for `/metrics` and `/health`.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public static func make(environment: EnvironmentReader, logger: Logger) throws -> WorkerServer {
        let redis = RedisClient(configuration: try .init(environment: environment, clientName: "joycity-worker"), logger: logger)
        let queue = StreamQueue(redis: redis, configuration: try .init(environment: environment))
        let stack = try WorkerStack(environment: environment, redis: redis, keyPrefix: queue.configuration.prefix, logger: logger)
        let worker = QueueWorker(
            queue: queue,
            registry: FleetJobs.registry(
                wbSync: stack.syncer,
                kpi: stack.kpi,
                kpiReady: { try await stack.store.waitUntilReady() },
                backups: { try stack.makeBackupRunner() }
            ),
            configuration: try .init(environment: environment),
            logger: logger
        )
        var services: [any Service] = [redis, stack.store, worker]
        let port = try environment.int("METRICS_PORT", default: 9464, range: 0...65535)
        if port != 0 {
            services.append(
                PrometheusExposition.application(
                    registry: PrometheusExposition.registry,
                    host: environment.string("METRICS_HOST", default: "127.0.0.1"),
                    port: port,
                    serverName: "joycity-worker",
                    logger: logger,
                    health: { #""running":\#(worker.runningCount)"# }
                )
            )
        }
        return WorkerServer(redis: redis, worker: worker, stack: stack, services: services)
    }
}
