import FleetCore
import Logging
import Synchronization

/// What a running job can see and do: who it is, its logger, progress, results, follow-ups and cancellation.
public struct JobContext: Sendable {
    let job: HeldJob
    /// The queue engine (to enqueue, or reach Redis through `queue.redis`).
    public let queueEngine: StreamQueue

    init(job: HeldJob, queueEngine: StreamQueue) {
        self.job = job
        self.queueEngine = queueEngine
    }

    /// The job id.
    public var id: String { job.envelope.id }
    /// The queue it came from.
    public var queue: String { job.queue }
    /// The job type name.
    public var type: String { job.envelope.type }
    /// This attempt, from 1.
    public var attempt: Int { job.envelope.attempt }
    /// Attempts before dead-lettering, as the producer set them (0: the queue's default).
    public var maxAttempts: Int { job.envelope.maxAttempts }
    /// Deliveries of this attempt (more than 1 after a worker crash or shutdown).
    public var deliveries: Int { job.deliveries }
    /// First enqueue time, ms since the epoch.
    public var enqueuedAtMs: Int64 { job.envelope.enqueuedAtMs }
    /// The producer's trace context, if any.
    public var traceContext: String? { job.envelope.traceContext }
    /// A logger with `job.id`, `job.type` and `queue` metadata (made on first use).
    public var logger: Logger { job.logger }

    /// Whether cancellation was requested (by `joycity queue cancel`, a lost lease or shutdown).
    public var isCancelled: Bool { job.isCancelled || Task.isCancelled }

    /// Throws `CancellationError` when ``isCancelled``.
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }

    /// Sleeps, waking at once (with `CancellationError`) when the job is cancelled (woken by the cancellation, not
    /// by polling).
    public func sleep(for duration: Duration) async throws {
        try checkCancellation()
        _ = await job.waitForCancellation(until: .now + duration)
        try checkCancellation()
    }

    /// Records progress (any JSON value, e.g. `{"pages":3,"rows":1200}`) in the job record, where
    /// `joycity queue job ID` shows it.
    public func reportProgress(json: String) async throws {
        job.markRecorded()
        try await queueEngine.redis.send(RedisCommand("HSET", queueEngine.keys.record(id), "progress", json, "queue", queue))
    }

    /// Records progress from an encodable value.
    public func reportProgress<Progress: Encodable>(_ progress: Progress) async throws {
        try await reportProgress(json: try JSONCoding.encode(progress))
    }

    /// Sets the result kept in the job record when the job completes.
    public func setResult<Result: Encodable>(_ result: Result) throws {
        job.setResult(try JSONCoding.encode(result))
    }

    /// Enqueues `request` atomically with this job's acknowledgement, if the job succeeds.
    /// - Throws: ``QueueError`` `invalidArgument` when the request could not be enqueued (bad queue name, id, payload
    ///   or option), here rather than at the acknowledgement, where it would fail the job after it ran.
    public func enqueueOnSuccess(_ request: JobRequest) throws {
        _ = try queueEngine.prepare(request, nowMs: queueEngine.clock.nowMs())
        job.addFollowUp(request)
    }
}
