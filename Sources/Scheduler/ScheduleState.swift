import Queue

/// How a schedule has fired, as stored in Redis (`<prefix>:sched:state:<id>`) by the leader.
public struct ScheduleState: Sendable, Codable, Equatable {
    /// The latest fire time handled (Unix ms); fires at or before it are never planned again.
    public var watermark: Int64?
    /// The fire time of the last fire that enqueued (or found) a job.
    public var lastFireMs: Int64?
    /// When that fire was made (Unix ms).
    public var lastFiredAtMs: Int64?
    /// The job that fire enqueued (or the running one it found, for a duplicate).
    public var lastJob: String?
    /// What the last fire did: `queued`, `delayed`, `duplicate` (the previous run was still queued or running),
    /// `debounced`, `done-before` (another leader fired it), or `error`.
    public var lastOutcome: String?
    /// The error of the last failed fire attempt, cleared by the next successful one.
    public var lastError: String?
    /// Fires dropped by the misfire policy so far.
    public var dropped: Int64
    /// The next fire time as of the last fire.
    public var nextFireMs: Int64?

    static let fields = ["watermark", "lastFire", "lastFiredAt", "lastJob", "lastOutcome", "lastError", "dropped", "next"]

    /// The states of schedules `ids`, in one pipelined round trip.
    static func read(_ ids: [String], redis: RedisClient, keys: SchedulerKeys) async throws -> [ScheduleState] {
        let replies = try await redis.pipeline(ids.map { RedisCommand(arguments: ["HMGET", keys.state($0)] + fields) })
        return try replies.map { ScheduleState(fields: (try $0.throwingError().array ?? []).map(\.string)) }
    }

    init(fields values: [String?]) {
        func int(_ index: Int) -> Int64? { index < values.count ? values[index].flatMap { Int64($0) } : nil }
        func text(_ index: Int) -> String? { index < values.count ? values[index].flatMap { $0.isEmpty ? nil : $0 } : nil }
        watermark = int(0)
        lastFireMs = int(1)
        lastFiredAtMs = int(2)
        lastJob = text(3)
        lastOutcome = text(4)
        lastError = text(5)
        dropped = int(6) ?? 0
        nextFireMs = int(7)
    }
}

/// A schedule as the leader publishes it (`<prefix>:sched:list`), for `joycity queue schedules` and the API.
public struct ScheduleSummary: Sendable, Codable, Equatable {
    /// The schedule id.
    public var id: String
    /// When it fires, as written (`30 3 * * * (Europe/Moscow)`, `every 15m`).
    public var spec: String
    /// The job type each fire enqueues.
    public var jobType: String
    /// The queue.
    public var queue: String
    /// The job's unique key, if any.
    public var uniqueKey: String?
    /// The misfire policy.
    public var misfire: String
    /// Where the schedule came from.
    public var origin: String
    /// The next fire time (Unix ms) as of publication.
    public var nextFireMs: Int64?
}

/// One line of `joycity queue schedules`: the published summary with its fire state and the last job's state.
public struct ScheduleReport: Sendable, Codable, Equatable {
    /// The schedule.
    public var schedule: ScheduleSummary
    /// How it has fired.
    public var state: ScheduleState
    /// The last job's state in the queue (`queued`, `running`, `completed`, `failed`, `dead`…), if still known.
    public var lastJobState: String?
}

/// The scheduler as `joycity queue schedules` shows it.
public struct SchedulerReport: Sendable, Codable, Equatable {
    /// The current leader's instance name, if any replica leads.
    public var leader: String?
    /// The leader's fencing token.
    public var fencingToken: Int64?
    /// How long the leader's lease has left (ms).
    public var leaseRemainingMs: Int64?
    /// Every schedule the leader published.
    public var schedules: [ScheduleReport]
}
