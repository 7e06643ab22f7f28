import FleetCore
import Foundation
import Logging
import Queue

/// Helpers for tests that talk to the real Redis named by `REDIS_URL` (scripts/with-services.sh starts one).
public enum TestRedis {
    /// The Redis URL tests use.
    /// - Throws: when `REDIS_URL` is unset: tests need a real Redis, run them through scripts/test.sh.
    public static func url() throws -> RedisURL {
        guard let text = ProcessInfo.processInfo.environment["REDIS_URL"], !text.isEmpty else {
            throw TestSetupError("REDIS_URL is not set: run the tests with scripts/test.sh, which starts Redis and PostgreSQL")
        }
        return try RedisURL(parsing: text)
    }

    /// A key prefix no other test uses.
    public static func uniquePrefix(_ name: String = "t") -> String {
        "test.\(name).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A logger for tests (warnings and errors only, unless `TEST_LOG_LEVEL` says otherwise).
    public static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// Runs `body` with a client to the test Redis; shuts the client down after.
    public static func withClient<T: Sendable>(
        poolSize: Int = 4,
        commandTimeout: Duration = .seconds(5),
        _ body: (RedisClient) async throws -> T
    ) async throws -> T {
        let client = RedisClient(
            configuration: .init(url: try url(), commandTimeout: commandTimeout, poolSize: poolSize, clientName: "test"),
            logger: logger
        )
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Runs `body` with a queue under a fresh prefix (reading `clock`, the system's by default); deletes every key
    /// under the prefix after.
    public static func withQueue<T: Sendable>(
        clock: any WallClock = SystemClock(),
        _ configure: (inout StreamQueue.Configuration) -> Void = { _ in },
        _ body: (StreamQueue) async throws -> T
    ) async throws -> T {
        try await withClient { client in
            var configuration = StreamQueue.Configuration(prefix: uniquePrefix())
            configure(&configuration)
            let queue = StreamQueue(redis: client, configuration: configuration, clock: clock)
            do {
                let result = try await body(queue)
                try await client.deleteKeys(matching: "\(configuration.prefix):*")
                return result
            } catch {
                _ = try? await client.deleteKeys(matching: "\(configuration.prefix):*")
                throw error
            }
        }
    }
}

/// A test environment problem (missing service, missing binary).
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
