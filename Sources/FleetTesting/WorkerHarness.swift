import Logging
import Queue

/// Runs a ``QueueWorker`` in the background of a test and stops it gracefully after `body`.
public func withWorker<T: Sendable>(
    queue: StreamQueue,
    registry: JobRegistry,
    configuration: QueueWorker.Configuration,
    _ body: (QueueWorker) async throws -> T
) async throws -> T {
    let worker = QueueWorker(queue: queue, registry: registry, configuration: configuration, logger: TestRedis.logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await worker.run() }
        do {
            let result = try await body(worker)
            worker.requestStop()
            try await group.waitForAll()
            return result
        } catch {
            worker.requestStop()
            try? await group.waitForAll()
            throw error
        }
    }
}

extension QueueWorker.Configuration {
    /// Settings for tests: fast timers, the given queues.
    public static func testing(queues: [String] = ["default"], concurrency: Int = 4, lease: Duration = .seconds(2)) -> Self {
        QueueWorker.Configuration(
            queues: queues,
            concurrency: concurrency,
            consumerName: "test-\(Int.random(in: 0...999_999))",
            blockTimeout: .milliseconds(200),
            lease: lease,
            reclaimInterval: .milliseconds(300),
            maintenanceInterval: .milliseconds(500),
            shutdownTimeout: .seconds(5)
        )
    }
}
