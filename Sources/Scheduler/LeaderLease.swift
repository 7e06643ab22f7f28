import FleetCore
import Queue

/// The scheduler's leader lease in Redis: at most one holder at a time, renewed well before it expires, with a
/// fencing token that grows with every new lease.
///
/// Holding the lease is necessary but not sufficient for a fire: every fire is also fenced in Redis on the lease
/// value and idempotent on (schedule, fire time), so a holder that was paused past its lease can never fire twice.
public struct LeaderLease: Sendable {
    /// The outcome of one acquire-or-renew step.
    public struct Status: Sendable, Equatable {
        /// The lease value `<token>|<instance>` (ours or the holder's).
        public var value: String
        /// Whether this instance holds the lease.
        public var isOurs: Bool
        /// How long the lease has left, as Redis answered.
        public var remaining: Duration

        /// The fencing token in ``value``.
        public var token: Int64 { Int64(value.split(separator: "|").first ?? "") ?? 0 }
        /// The holding instance in ``value``.
        public var holder: String { value.split(separator: "|", maxSplits: 1).dropFirst().first.map(String.init) ?? "" }
    }

    let redis: RedisClient
    let keys: SchedulerKeys
    /// This process's name in the lease.
    public let instance: String
    /// How long a lease lasts without renewal.
    public let duration: Duration

    /// Creates a lease handle.
    public init(redis: RedisClient, keys: SchedulerKeys, instance: String, duration: Duration) {
        self.redis = redis
        self.keys = keys
        self.instance = instance
        self.duration = duration
    }

    /// Renews the lease if `current` is still ours, else takes it if it is free.
    /// - Parameter current: our lease value from the last step, or `nil`.
    public func acquireOrRenew(current: String?) async throws -> Status {
        let reply = try await redis.evaluate(
            SchedulerScripts.lease,
            keys: [],
            arguments: [keys.leader, keys.fence, instance, String(duration.milliseconds), current ?? ""]
        ).throwingError()
        let parts = reply.array ?? []
        guard parts.count == 3, let value = parts[0].string, let status = parts[1].string else {
            throw RedisError(.protocolError, "the scheduler lease script answered \(reply)")
        }
        let remaining = Duration.milliseconds(max(parts[2].int ?? 0, 0))
        return Status(value: value, isOurs: status != "held", remaining: remaining)
    }

    /// Gives the lease up (graceful shutdown), so another replica takes over at once.
    public func release(_ value: String) async throws {
        _ = try await redis.evaluate(SchedulerScripts.release, keys: [], arguments: [keys.leader, value]).throwingError()
    }

    /// The current holder's lease value and remaining time, or `nil` if nobody leads.
    public static func current(redis: RedisClient, keys: SchedulerKeys) async throws -> (value: String, remaining: Duration)? {
        let replies = try await redis.pipeline([RedisCommand("GET", keys.leader), RedisCommand("PTTL", keys.leader)])
        guard let value = try replies[0].throwingError().string else { return nil }
        return (value, .milliseconds(max(try replies[1].throwingError().int ?? 0, 0)))
    }
}
