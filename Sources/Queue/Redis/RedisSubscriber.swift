import FleetCore
import Logging

/// A pub/sub subscriber on its own connection: subscribes to channels, calls back for each message, and
/// resubscribes after reconnecting. Messages published while it was disconnected are lost (pub/sub semantics):
/// use it for prompt notifications and keep a periodic check for correctness.
public struct RedisSubscriber: Sendable {
    /// The client whose settings the subscription connection uses.
    public let redis: RedisClient
    /// The channels.
    public let channels: [String]
    let logger: Logger
    /// Between resubscription attempts: 100 ms doubling to 2 s.
    static let backoff = Backoff(base: .milliseconds(100), cap: .seconds(2))

    /// Creates a subscriber for `channels`.
    public init(redis: RedisClient, channels: [String], logger: Logger) {
        self.redis = redis
        self.channels = channels
        self.logger = logger
    }

    /// Receives messages until the task is cancelled or `shouldStop` returns true (checked every 250 ms).
    /// - Parameters:
    ///   - onSubscribed: called each time the server has confirmed the subscription to every channel — at first and
    ///     after every reconnect — before any message published after that point is handed over. A consumer that
    ///     caches what the messages announce re-reads it here, so nothing published while it was disconnected stays
    ///     stale.
    ///   - onMessage: called with channel and message, on the subscriber's task.
    public func run(
        shouldStop: @escaping @Sendable () -> Bool = { false },
        onSubscribed: (@Sendable () async -> Void)? = nil,
        onMessage: @escaping @Sendable (String, String) async -> Void
    ) async throws {
        let connection = try redis.dedicatedConnection(role: "subscriber")
        let subscribe = RedisCommand(arguments: ["SUBSCRIBE"] + channels)
        try await connection.run { $0.setOnConnect([subscribe]) }
        var failures = 0
        while !Task.isCancelled && !shouldStop() {
            do {
                let reply = try await connection.run { try $0.readPush(timeout: .milliseconds(250)) }
                failures = 0
                if let items = reply?.array, items.count == 3, items[0].string == "subscribe" {
                    if items[2].int == channels.count { await onSubscribed?() }
                    continue
                }
                guard let items = reply?.array, items.count == 3, items[0].string == "message",
                    let channel = items[1].string, let message = items[2].string
                else { continue }
                await onMessage(channel, message)
            } catch let error as RedisError where error.code == .clientShutdown {
                break
            } catch {
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.info("pub/sub connection lost; resubscribing", metadata: ["error": "\(error)", "channels": "\(channels)"])
                }
                try? await Task.sleep(for: Self.backoff.delay(afterFailures: failures))
            }
        }
        await redis.closeDedicated(connection)
    }
}
