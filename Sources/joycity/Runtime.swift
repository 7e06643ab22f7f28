import API
import FleetCore
import FleetHTTP
import FleetStore
import Foundation
import Logging
import Metrics
import PostgresNIO
import Prometheus
import Queue
import ServiceLifecycle
import Synchronization
import UnixSignals
import WBKit
import Workers

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
        PrometheusExposition.registry
    }

    /// The process's service group: SIGTERM and SIGINT start a graceful shutdown, and `SHUTDOWN_TIMEOUT` (default
    /// `30s`: above the worker's `WORKER_SHUTDOWN_TIMEOUT` of 25 s, below the stack's `stop_grace_period` of 35 s)
    /// bounds it: past it every service is cancelled (and given 5 s more), so a stuck service cannot keep the
    /// process alive until the orchestrator kills it.
    static func serviceGroup(_ services: [any Service], environment: EnvironmentReader, logger: Logger) throws -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = try environment.duration("SHUTDOWN_TIMEOUT", default: .seconds(30))
        configuration.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: configuration)
    }

    /// A Redis client configured from the environment.
    static func redis(environment: EnvironmentReader, logger: Logger, name: String) throws -> RedisClient {
        RedisClient(configuration: try .init(environment: environment, clientName: name), logger: logger)
    }

    /// Runs `body` with a Redis client from the environment (a one-shot command's), shut down afterwards whether
    /// `body` succeeds or throws.
    static func withRedis<T>(environment: EnvironmentReader, logger: Logger, name: String, _ body: (RedisClient) async throws -> T) async throws -> T
    {
        let redis = try redis(environment: environment, logger: logger, name: name)
        do {
            let result = try await body(redis)
            await redis.shutdown()
            return result
        } catch {
            await redis.shutdown()
            throw error
        }
    }

    /// Prints `error` in a form a user can act on and exits non-zero.
    static func fail(_ error: any Error) -> Never {
        let message: String
        switch error {
        case let error as RedisError: message = error.message
        case let error as QueueError: message = error.description
        case let error as ConfigurationError: message = error.description
        case let error as StoreError: message = error.description
        case let error as WBError: message = error.description
        case let error as BackupError: message = error.message
        case let error as APIError: message = error.message
        case let error as PSQLError:
            message = "PostgreSQL: \(error.serverMessage ?? String(reflecting: error)); is PostgreSQL running and DATABASE_URL right?"
        default: message = String(describing: error)
        }
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(exitCode(of: error))
    }

    /// 78 (EX_CONFIG) for a configuration the process cannot start with (an invalid variable, an unparsable
    /// `REDIS_URL`), 1 for anything else.
    static func exitCode(of error: any Error) -> Int32 {
        if error is ConfigurationError { return 78 }
        if let error = error as? RedisError, error.code == .invalidURL { return 78 }
        return 1
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
}

extension Runtime {
    /// Runs `body` with a running PostgreSQL client from `DATABASE_URL`.
    static func withDatabase<T: Sendable>(
        environment: EnvironmentReader,
        logger: Logger,
        _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let configuration = try DatabaseConfiguration(environment: environment)
        return try await configuration.withClient(logger: logger) { client in
            try await client.ping(server: configuration.displayName)
            return try await body(client)
        }
    }

    /// A quiet logger for one-shot commands.
    static func cliLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .error
        return logger
    }
}
