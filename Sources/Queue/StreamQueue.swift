import FleetCore
import Logging

/// The job queue engine on Redis Streams: enqueue, consume through a consumer group, acknowledge (fenced), retry
/// with backoff, dead-letter, reclaim from dead consumers, inspect. It knows nothing of what jobs do.
///
/// Each queue is one stream (`<prefix>:q:<queue>`) read by one consumer group; delayed and retrying jobs wait in a
/// sorted set until due; every multi-key step is one Lua script, so any number of producers and workers can share
/// a queue. The key layout and entry format are in docs/wire-format.md.
///
/// ```swift
/// let queue = StreamQueue(redis: redis, configuration: try .init(environment: env))
/// let result = try await queue.enqueue(JobRequest(.diagnostic, DiagnosticPayload(set: "runs")))
/// ```
public struct StreamQueue: Sendable {
    /// Queue-wide settings.
    public struct Configuration: Sendable {
        /// Prefix of every key.
        public var prefix: String
        /// Consumer group name shared by all workers.
        public var group: String
        /// Queue used when a request names none.
        public var defaultQueue: String
        /// Attempts before dead-lettering, when a job does not say.
        public var maxAttempts: Int
        /// First retry delay; doubles per attempt, with ±25 % jitter.
        public var retryBackoffBase: Duration
        /// Longest retry delay.
        public var retryBackoffCap: Duration
        /// How long records of completed and cancelled jobs are kept.
        public var completedTTL: Duration
        /// How long records of dead jobs are kept (the dead-letter stream entry stays until retried or deleted).
        public var deadTTL: Duration
        /// Dead-letter stream length per queue (approximate, oldest trimmed first).
        public var deadMaxLength: Int
        /// Default safety TTL of unique keys after the job becomes due.
        public var uniqueTTL: Duration

        /// Creates settings; the defaults are the documented ones.
        public init(
            prefix: String = "joycity",
            group: String = "workers",
            defaultQueue: String = "default",
            maxAttempts: Int = 5,
            retryBackoffBase: Duration = .seconds(1),
            retryBackoffCap: Duration = .seconds(600),
            completedTTL: Duration = .seconds(3600),
            deadTTL: Duration = .seconds(7 * 86400),
            deadMaxLength: Int = 100_000,
            uniqueTTL: Duration = .seconds(86400)
        ) {
            self.prefix = prefix
            self.group = group
            self.defaultQueue = defaultQueue
            self.maxAttempts = maxAttempts
            self.retryBackoffBase = retryBackoffBase
            self.retryBackoffCap = retryBackoffCap
            self.completedTTL = completedTTL
            self.deadTTL = deadTTL
            self.deadMaxLength = deadMaxLength
            self.uniqueTTL = uniqueTTL
        }

        /// Reads settings from the environment.
        ///
        /// - `QUEUE_PREFIX` (default `joycity`): prefix of every Redis key
        /// - `QUEUE_GROUP` (default `workers`): consumer group
        /// - `QUEUE_DEFAULT` (default `default`): queue for requests that name none
        /// - `QUEUE_MAX_ATTEMPTS` (default `5`): attempts before dead-lettering
        /// - `QUEUE_RETRY_BACKOFF_BASE` (default `1s`) and `QUEUE_RETRY_BACKOFF_CAP` (default `10m`)
        /// - `QUEUE_COMPLETED_TTL` (default `1h`): how long completed job records are kept
        /// - `QUEUE_DEAD_TTL` (default `7d`): how long dead job records are kept
        /// - `QUEUE_DEAD_MAX` (default `100000`): dead-letter stream length per queue
        /// - `QUEUE_UNIQUE_TTL` (default `24h`): safety TTL of unique keys
        /// - Throws: `ConfigurationError` naming the variable.
        public init(environment: EnvironmentReader) throws {
            let prefix = environment.string("QUEUE_PREFIX", default: "joycity")
            let group = environment.string("QUEUE_GROUP", default: "workers")
            let defaultQueue = environment.string("QUEUE_DEFAULT", default: "default")
            for (name, value) in [("QUEUE_PREFIX", prefix), ("QUEUE_GROUP", group), ("QUEUE_DEFAULT", defaultQueue)] {
                guard StreamQueue.isValidName(value) else {
                    throw ConfigurationError(variable: name, value: value, expected: "1 to 64 characters of A-Z a-z 0-9 . _ -")
                }
            }
            self.init(
                prefix: prefix,
                group: group,
                defaultQueue: defaultQueue,
                maxAttempts: try environment.int("QUEUE_MAX_ATTEMPTS", default: 5, range: 1...1000),
                retryBackoffBase: try environment.duration("QUEUE_RETRY_BACKOFF_BASE", default: .seconds(1)),
                retryBackoffCap: try environment.duration("QUEUE_RETRY_BACKOFF_CAP", default: .seconds(600)),
                completedTTL: try environment.duration("QUEUE_COMPLETED_TTL", default: .seconds(3600)),
                deadTTL: try environment.duration("QUEUE_DEAD_TTL", default: .seconds(7 * 86400)),
                deadMaxLength: try environment.int("QUEUE_DEAD_MAX", default: 100_000, range: 1...100_000_000),
                uniqueTTL: try environment.duration("QUEUE_UNIQUE_TTL", default: .seconds(86400))
            )
        }
    }

    /// The Redis client underneath.
    public let redis: RedisClient
    /// Settings.
    public let configuration: Configuration
    /// Key names.
    public let keys: QueueKeys
    /// The time the engine reads: run-at times, retry backoffs, concurrency slot leases, dead-letter ages, lag.
    /// With the system clock the Redis scripts read Redis's own `TIME` (one clock for every worker); with any other
    /// clock (a test's ``ManualClock``) each script call carries that clock's time instead. Delivery leases are the
    /// one exception: Redis measures a pending entry's idle time itself, so leases and Redis key TTLs (unique keys,
    /// done buckets) always run in real time.
    public let clock: any WallClock

    /// Creates a queue engine over `redis`.
    public init(redis: RedisClient, configuration: Configuration = Configuration(), clock: any WallClock = SystemClock()) {
        self.redis = redis
        self.configuration = configuration
        self.keys = QueueKeys(prefix: configuration.prefix)
        self.clock = clock
    }

    /// The script's time argument (`ARGV[3]` of every engine script): `0` asks the script to read Redis's `TIME`.
    var scriptTime: String { clock.isSystem ? "0" : String(clock.nowMs()) }

    /// Whether `name` can be a queue, prefix or group name: 1–64 characters of `A-Z a-z 0-9 . _ -`.
    public static func isValidName(_ name: String) -> Bool { NameSyntax.queueName.admits(name) }

    func validQueue(_ name: String?) throws -> String {
        let queue = name ?? configuration.defaultQueue
        guard StreamQueue.isValidName(queue) else {
            throw QueueError(.invalidArgument, "queue name \"\(queue.prefix(80))\" is not valid: use 1 to 64 characters of A-Z a-z 0-9 . _ -")
        }
        return queue
    }

    /// The retry delay before `attempt + 1`, in ms: base·2^(attempt−1), capped, ±25 % jitter.
    public func retryDelayMs(afterAttempt attempt: Int) -> Int64 {
        Backoff(base: configuration.retryBackoffBase, cap: configuration.retryBackoffCap, jitter: .spread(0.25)).delayMs(afterFailures: attempt)
    }
}

/// Names of the Redis keys a queue uses (docs/wire-format.md).
public struct QueueKeys: Sendable {
    /// The prefix, e.g. `joycity`.
    public let prefix: String
    /// Creates key names under `prefix`.
    public init(prefix: String) { self.prefix = prefix }
    /// The job stream of `queue`.
    public func stream(_ queue: String) -> String { "\(prefix):q:\(queue)" }
    /// Delayed and retrying jobs of `queue` (sorted set, score = due time ms).
    public func delayed(_ queue: String) -> String { "\(prefix):q:\(queue):delayed" }
    /// Dead-letter stream of `queue`.
    public func dead(_ queue: String) -> String { "\(prefix):q:\(queue):dead" }
    /// Index of the done buckets of `queue` (sorted set of bucket keys, score = when the bucket expires, ms).
    public func doneBuckets(_ queue: String) -> String { "\(prefix):q:\(queue):done" }
    /// Counters of `queue` (hash).
    public func stats(_ queue: String) -> String { "\(prefix):q:\(queue):stats" }
    /// The record of job `id` (hash).
    public func record(_ id: String) -> String { "\(prefix):job:\(id)" }
    /// Holder of unique key `key`.
    public func unique(_ key: String) -> String { "\(prefix):unique:\(key)" }
    /// All queue names (set).
    public var queues: String { "\(prefix):queues" }
    /// Paused queue names (set).
    public var paused: String { "\(prefix):paused" }
    /// Version of the paused set (a counter raised by every pause and resume).
    public var pausedVersion: String { "\(prefix):paused:version" }
    /// The paused-set version each worker has applied (hash, consumer → version).
    public var pausedSeen: String { "\(prefix):paused:seen" }
    /// Ids of jobs whose cancellation was requested (set).
    public var cancelled: String { "\(prefix):cancelled" }
    /// Live workers (sorted set, score = last heartbeat ms).
    public var workers: String { "\(prefix):workers" }
    /// A worker's heartbeat record (hash).
    public func worker(_ id: String) -> String { "\(prefix):worker:\(id)" }
    /// The pub/sub channel of fleet events (`cancel <id>`, `pause <queue> <version>`, `resume <queue> <version>`,
    /// `reclaim <queue>`).
    public var events: String { "\(prefix):events" }
    /// Held slots of concurrency key `key` (sorted set, score = lease expiry ms).
    public func slots(_ key: String) -> String { "\(prefix):slots:\(key)" }
    /// Jobs parked until concurrency key `key` has room (list of ids).
    public func parked(_ key: String) -> String { "\(prefix):parked:\(key)" }
}
