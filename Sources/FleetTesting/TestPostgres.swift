import FleetStore
import Foundation
import Logging
import PostgresNIO

/// Helpers for tests that talk to the real PostgreSQL named by `DATABASE_URL` (scripts/with-services.sh starts one).
public enum TestPostgres {
    /// The server tests use.
    /// - Throws: when `DATABASE_URL` is unset: run the tests with scripts/test.sh.
    public static func server() throws -> DatabaseConfiguration {
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty else {
            throw TestSetupError("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts Redis and PostgreSQL")
        }
        return try DatabaseConfiguration(url: text)
    }

    /// Runs `body` with a running client to a database of its own (created empty, dropped after). With `migrated`,
    /// the fleet's migrations are applied first.
    public static func withDatabase<T: Sendable>(
        migrated: Bool = true,
        _ body: @Sendable (PostgresClient, DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        try await server().withTemporaryDatabase(prefix: "test", logger: TestRedis.logger) { configuration in
            try await run(configuration) { client in
                if migrated { try await Migrator(client: client, logger: TestRedis.logger).migrate() }
                return try await body(client, configuration)
            }
        }
    }

    /// Runs `body` with a running client to `configuration`.
    public static func run<T: Sendable>(
        _ configuration: DatabaseConfiguration,
        _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        try await configuration.withClient(logger: TestRedis.logger, body)
    }

    /// The URL of `configuration` (for child processes).
    public static func url(_ configuration: DatabaseConfiguration) -> String {
        "postgres://\(configuration.username)\(configuration.password.map { ":\($0)" } ?? "")@\(configuration.host):\(configuration.port)/\(configuration.database)"
    }
}
