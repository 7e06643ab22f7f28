import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs the client for the duration of `body` (outside a `ServiceGroup`: commands, tests, benchmarks).
    public func withRunning<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }
}

extension DatabaseConfiguration {
    /// Runs `body` with a running client to this server.
    public func withClient<T: Sendable>(logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await makeClient(logger: logger).withRunning(body)
    }

    /// Runs `body` with a database of its own on this server, created empty (named `<prefix>_<random>`) and dropped
    /// afterwards, whatever `body` does.
    public func withTemporaryDatabase<T: Sendable>(
        prefix: String,
        logger: Logger,
        _ body: @Sendable (DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        var temporary = self
        temporary.database = "\(prefix)_\(UInt64.random(in: 0...UInt64.max))"
        let name = temporary.database
        try await withClient(logger: logger) { admin in try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger) }
        let result: Result<T, any Error>
        do { result = .success(try await body(temporary)) } catch { result = .failure(error) }
        try await withClient(logger: logger) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
        return try result.get()
    }
}
