import ArgumentParser
import FleetCore
import Logging
import FleetStore
import Queue
import ServiceLifecycle
import UnixSignals
import Workers

/// `joycity worker`: consumes queues and runs jobs until SIGTERM/SIGINT, then drains and exits 0.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run a worker: consume queues and run jobs until SIGTERM or SIGINT.")

    @Option(help: "Queues, highest priority first: a,b (strict) or a:3,b:1 (weighted). Overrides WORKER_QUEUES.")
    var queues: String?

    @Option(help: "Jobs at once in this process. Overrides WORKER_CONCURRENCY.")
    var concurrency: Int?

    @Option(help: "Port of /metrics and /health (0: off). Overrides METRICS_PORT.")
    var metricsPort: Int?

    func run() async throws {
        var overrides: [String: String] = [:]
        if let queues { overrides["WORKER_QUEUES"] = queues }
        if let concurrency { overrides["WORKER_CONCURRENCY"] = String(concurrency) }
        if let metricsPort { overrides["METRICS_PORT"] = String(metricsPort) }
        do {
            let environment = EnvironmentReader(overrides: overrides)
            let logger = try Runtime.logger("joycity.worker", environment: environment)
            let services = try WorkerServices(environment: environment, logger: logger)
            try await ServiceGroup(
                configuration: .init(services: services.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        } catch {
            Runtime.fail(error)
        }
    }
}

/// The services of a worker process, in start order (shutdown runs in reverse): Redis, PostgreSQL (migrations at
/// start), the queue worker, the metrics endpoint.
struct WorkerServices {
    let redis: RedisClient
    let worker: QueueWorker
    let stack: WorkerStack
    let services: [any Service]

    /// - `METRICS_HOST` (default `127.0.0.1`) and `METRICS_PORT` (default `9464`, 0: off): `/metrics` and `/health`
    init(environment: EnvironmentReader, logger: Logger) throws {
        let redis = try Runtime.redis(environment: environment, logger: logger, name: "joycity-worker")
        let queue = StreamQueue(redis: redis, configuration: try .init(environment: environment))
        let stack = try WorkerStack(environment: environment, redis: redis, keyPrefix: queue.configuration.prefix, logger: logger)
        let worker = QueueWorker(
            queue: queue, registry: FleetJobs.registry(wbSync: stack.syncer, backups: { try stack.makeBackupRunner() }), configuration: try .init(environment: environment), logger: logger)
        var services: [any Service] = [redis, stack.store, worker]
        let port = try environment.int("METRICS_PORT", default: 9464, range: 0...65535)
        if port != 0 {
            let registry = Runtime.prometheus()
            services.append(MetricsServer.application(
                registry: registry, worker: worker, host: environment.string("METRICS_HOST", default: "127.0.0.1"), port: port, logger: logger))
        }
        self.redis = redis
        self.worker = worker
        self.stack = stack
        self.services = services
    }
}
