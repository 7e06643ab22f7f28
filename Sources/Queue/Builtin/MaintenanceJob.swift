import FleetCore

/// The built-in maintenance job (`queue.maintenance`), fired by the scheduler every few minutes: frees expired
/// concurrency slots and unparks waiting jobs, trims acknowledged entries off every stream, drops dead-letter
/// entries older than the dead-letter TTL (their job records have expired with it), and removes consumers of
/// processes that are gone. Workers do the first two on their own as well; this job makes sure they happen
/// even while no worker is idle enough to.
public enum MaintenanceJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "queue.maintenance")

    /// Options.
    public struct Payload: Codable, Sendable, Equatable {
        /// Remove consumers idle (and holding nothing) for longer than this many seconds (default 3600).
        public var consumerIdleSeconds: Int?
        /// Creates a payload.
        public init(consumerIdleSeconds: Int? = nil) { self.consumerIdleSeconds = consumerIdleSeconds }
    }

    /// What one run did (the job's result).
    public struct Report: Codable, Sendable, Equatable {
        /// Jobs moved from parked lists back to their queues.
        public var unparked: Int
        /// Dead-letter entries trimmed for age.
        public var deadTrimmed: Int
        /// Queues looked at.
        public var queues: Int
    }

    /// Runs maintenance once on `queue`'s Redis.
    public static func run(on queue: StreamQueue, payload: Payload = Payload()) async throws -> Report {
        let unparked = try await queue.maintain()
        let names = try await queue.queueNames()
        let cutoff = queue.clock.nowMs() - queue.configuration.deadTTL.milliseconds
        let replies = try await queue.redis.pipeline(names.map { RedisCommand("XTRIM", queue.keys.dead($0), "MINID", "\(max(cutoff, 0))-0") })
        var trimmed = 0
        for reply in replies { trimmed += try reply.throwingError().int ?? 0 }
        try await queue.pruneConsumers(olderThan: .seconds(Int64(payload.consumerIdleSeconds ?? 3600)))
        return Report(unparked: unparked, deadTrimmed: trimmed, queues: names.count)
    }
}

extension JobRegistry {
    /// Registers `queue.maintenance`.
    public mutating func registerMaintenance() {
        register(MaintenanceJob.type) { payload, context in
            try context.setResult(try await MaintenanceJob.run(on: context.queueEngine, payload: payload))
        }
    }
}
