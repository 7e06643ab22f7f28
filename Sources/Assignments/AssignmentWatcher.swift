import FleetCore
import Logging
import Queue
import ServiceLifecycle

/// What a proxy edge replica runs to keep the article sets it caches current: every ``AssignmentChange`` on
/// ``AssignmentEvents/channel(prefix:)`` reaches `onChange` (within a second of the commit), and `onResync` runs
/// whenever the subscription is (re)established — at start and after every reconnect — so a set announced while the
/// replica was disconnected is re-read, never kept. A message it cannot read also triggers a resync (fail closed).
public struct AssignmentWatcher: Service {
    let subscriber: RedisSubscriber
    let onResync: @Sendable () async -> Void
    let onChange: @Sendable (AssignmentChange) async -> Void
    let logger: Logger

    /// Creates a watcher on `redis` under `prefix` (`QUEUE_PREFIX`).
    public init(
        redis: RedisClient,
        prefix: String,
        logger: Logger,
        onResync: @escaping @Sendable () async -> Void,
        onChange: @escaping @Sendable (AssignmentChange) async -> Void
    ) {
        self.subscriber = RedisSubscriber(redis: redis, channels: [AssignmentEvents.channel(prefix: prefix)], logger: logger)
        self.onResync = onResync
        self.onChange = onChange
        self.logger = logger
    }

    public func run() async throws {
        let onChange = self.onChange
        let onResync = self.onResync
        let logger = self.logger
        try await subscriber.run(shouldStop: { Task.isShuttingDownGracefully }, onSubscribed: onResync) { _, message in
            do {
                await onChange(try JSONCoding.decode(AssignmentChange.self, from: message))
            } catch {
                logger.warning("an assignment change could not be read; re-reading every set", metadata: ["message": "\(message.prefix(200))"])
                await onResync()
            }
        }
    }
}
