import ArgumentParser
import FleetCore
import FleetStore
import Logging
import Queue
import ServiceLifecycle
import UnixSignals
import Workers

/// `joycity worker`: consumes queues and runs jobs until SIGTERM/SIGINT, then drains and exits 0.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: consume queues and run jobs until SIGTERM or SIGINT."
    )

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
            let services = try WorkerServer.make(environment: environment, logger: logger)
            try await Runtime.serviceGroup(services.services, environment: environment, logger: logger).run()
        } catch {
            Runtime.fail(error)
        }
    }
}
