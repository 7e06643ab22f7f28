#if canImport(Glibc)
import Glibc
#endif

/// The built-in diagnostic job (`queue.diagnostic`): records that it ran, optionally after sleeping or failing.
/// Operators use it to smoke-test a fleet; tests use it to count runs.
///
/// ```
/// joycity queue enqueue queue.diagnostic --payload '{"set":"smoke","sleepMs":100}'
/// redis-cli SMEMBERS smoke
/// ```
public enum DiagnosticJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "queue.diagnostic")

    /// What the job does.
    public struct Payload: Codable, Sendable, Equatable {
        /// Redis set the job adds its id to when it succeeds.
        public var set: String
        /// Redis hash in which the job counts its runs per id (`HINCRBY counts <id> 1`), before sleeping or failing;
        /// counts above 1 are duplicate runs.
        public var counts: String?
        /// Sleep this long first (cancellable).
        public var sleepMs: Int?
        /// Fail every attempt up to and including this one (retryable unless `permanent`).
        public var failAttempts: Int?
        /// Make failures permanent (straight to dead letters).
        public var permanent: Bool?
        /// A result to store in the job record.
        public var result: String?

        /// Creates a payload.
        public init(set: String, counts: String? = nil, sleepMs: Int? = nil, failAttempts: Int? = nil, permanent: Bool? = nil, result: String? = nil)
        {
            self.set = set
            self.counts = counts
            self.sleepMs = sleepMs
            self.failAttempts = failAttempts
            self.permanent = permanent
            self.result = result
        }
    }

    /// Runs the job.
    public static func run(_ payload: Payload, _ context: JobContext) async throws {
        let redis = context.queueEngine.redis
        if let counts = payload.counts {
            try await redis.send(RedisCommand("HINCRBY", counts, context.id, "1"))
        }
        if let sleepMs = payload.sleepMs, sleepMs > 0 {
            try await context.sleep(for: .milliseconds(sleepMs))
        }
        if let failAttempts = payload.failAttempts, context.attempt <= failAttempts {
            let message = "diagnostic failure on attempt \(context.attempt) (fails up to attempt \(failAttempts))"
            throw payload.permanent == true ? JobFailure.permanent(message) : JobFailure.retryable(message)
        }
        if let result = payload.result { try context.setResult(result) }
        try await redis.send(RedisCommand("SADD", payload.set, context.id))
    }
}

extension JobRegistry {
    /// Registers the built-in diagnostic job.
    public mutating func registerDiagnostic() {
        register(DiagnosticJob.type) { payload, context in try await DiagnosticJob.run(payload, context) }
    }
}

/// Built-in jobs for measuring the queue itself: `queue.noop` does nothing; `queue.latency` records how long after
/// its enqueue it started (microseconds, pushed onto a Redis list), for `joycity bench queue`.
public enum ProbeJobs {
    /// Does nothing.
    public static let noop = JobType<Empty>(name: "queue.noop")
    /// Records start latency.
    public static let latency = JobType<Latency>(name: "queue.latency")

    /// An empty payload.
    public struct Empty: Codable, Sendable {
        /// Creates an empty payload.
        public init() {}
    }

    /// When the probe was enqueued and where to record its latency.
    public struct Latency: Codable, Sendable {
        /// Enqueue time, µs since the epoch (same host clock as the worker).
        public var sentUs: Int64
        /// Redis list to push the latency (µs) onto.
        public var list: String
        /// Creates a payload.
        public init(sentUs: Int64, list: String) {
            self.sentUs = sentUs
            self.list = list
        }
    }

    /// Wall-clock time in µs since the epoch.
    public static func nowUs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}

extension JobRegistry {
    /// Registers `queue.noop` and `queue.latency`.
    public mutating func registerProbes() {
        register(ProbeJobs.noop) { _, _ in }
        register(ProbeJobs.latency) { payload, context in
            let latency = ProbeJobs.nowUs() - payload.sentUs
            try await context.queueEngine.redis.send(RedisCommand("RPUSH", payload.list, String(latency)))
        }
    }
}
