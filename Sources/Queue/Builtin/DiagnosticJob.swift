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
        public init(set: String, counts: String? = nil, sleepMs: Int? = nil, failAttempts: Int? = nil, permanent: Bool? = nil, result: String? = nil) {
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
