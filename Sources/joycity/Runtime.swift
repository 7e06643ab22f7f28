import FleetCore
import Foundation
import Logging
import Metrics
import Prometheus
import Queue
import Synchronization

/// Process-wide wiring shared by the subcommands: environment, logging, metrics, Redis.
enum Runtime {
    /// Bootstraps swift-log once: `LOG_LEVEL` (default `info`), to stderr.
    static func logger(_ label: String, environment: EnvironmentReader) throws -> Logger {
        let levelText = environment.string("LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError(variable: "LOG_LEVEL", value: levelText, expected: "trace, debug, info, notice, warning, error or critical")
        }
        LoggingBootstrap.once { LoggingSystem.bootstrap(StreamLogHandler.standardError) }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Bootstraps swift-metrics with a Prometheus registry (once per process) and returns the registry.
    static func prometheus() -> PrometheusCollectorRegistry {
        LoggingBootstrap.prometheusOnce
    }

    /// A Redis client configured from the environment.
    static func redis(environment: EnvironmentReader, logger: Logger, name: String) throws -> RedisClient {
        var configuration = try RedisClient.Configuration(environment: environment)
        configuration.clientName = name
        return RedisClient(configuration: configuration, logger: logger)
    }

    /// Prints `error` in a form a user can act on and exits non-zero.
    static func fail(_ error: any Error) -> Never {
        let message: String
        switch error {
        case let error as RedisError: message = error.message
        case let error as QueueError: message = error.description
        case let error as ConfigurationError: message = error.description
        default: message = String(describing: error)
        }
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(error is ConfigurationError ? 78 : 1)
    }
}

enum LoggingBootstrap {
    private static let done = Mutex(false)

    /// Runs `body` the first time only (swift-log may be bootstrapped once per process).
    static func once(_ body: () -> Void) {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        if first { body() }
    }

    static let prometheusOnce: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
