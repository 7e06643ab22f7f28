import Logging
import Synchronization

/// What a running job can see and do: who it is, its logger, progress, results, follow-ups and cancellation.
public struct JobContext: Sendable {
    /// The job id.
    public let id: String
    /// The queue it came from.
    public let queue: String
    /// The job type name.
    public let type: String
    /// This attempt, from 1.
    public let attempt: Int
    /// Attempts before dead-lettering.
    public let maxAttempts: Int
    /// Deliveries of this attempt (more than 1 after a worker crash or shutdown).
    public let deliveries: Int
    /// First enqueue time, ms since the epoch.
    public let enqueuedAtMs: Int64
    /// The producer's trace context, if any.
    public let traceContext: String?
    /// A logger with `job.id`, `job.type` and `queue` metadata (made on first use).
    public var logger: Logger { jobLogger.logger }
    let jobLogger: JobLogger
    /// The queue engine (to enqueue, or reach Redis through `queue.redis`).
    public let queueEngine: StreamQueue
    let run: JobRun

    /// Whether cancellation was requested (by `joycity queue cancel`, a lost lease or shutdown).
    public var isCancelled: Bool { run.isCancelled || Task.isCancelled }

    /// Throws `CancellationError` when ``isCancelled``.
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }

    /// Sleeps, waking early (with `CancellationError`) when the job is cancelled.
    public func sleep(for duration: Duration) async throws {
        let deadline = ContinuousClock.now + duration
        while true {
            try checkCancellation()
            let remaining = deadline - .now
            if remaining <= .zero { return }
            try await Task.sleep(for: min(remaining, .milliseconds(50)))
        }
    }

    /// Records progress (any JSON value, e.g. `{"pages":3,"rows":1200}`) in the job record, where
    /// `joycity queue job ID` shows it.
    public func reportProgress(json: String) async throws {
        run.markRecorded()
        try await queueEngine.redis.send(RedisCommand("HSET", queueEngine.keys.record(id), "progress", json, "queue", queue))
    }

    /// Records progress from an encodable value.
    public func reportProgress<Progress: Encodable>(_ progress: Progress) async throws {
        try await reportProgress(json: try JSONCoding.encode(progress))
    }

    /// Sets the result kept in the job record when the job completes.
    public func setResult<Result: Encodable>(_ result: Result) throws {
        run.setResult(try JSONCoding.encode(result))
    }

    /// Enqueues `request` atomically with this job's acknowledgement, if the job succeeds.
    public func enqueueOnSuccess(_ request: JobRequest) {
        run.addFollowUp(request)
    }
}

/// Why a run was asked to stop.
enum CancelReason: Sendable {
    /// `joycity queue cancel` (or the API) asked for it.
    case requested
    /// Another worker reclaimed the job; whatever this run does will not be acknowledged.
    case leaseLost
    /// The worker is shutting down past its deadline; the job was handed back.
    case shutdown
}

/// Mutable state of one run, shared between the handler, heartbeats and cancellation requests.
final class JobRun: Sendable {
    private struct State {
        var reason: CancelReason?
        var result = ""
        var followUps: [JobRequest] = []
        var recorded = false
    }
    private let state = Mutex(State())

    init() {}

    var isCancelled: Bool { state.withLock { $0.reason != nil } }
    var cancelReason: CancelReason? { state.withLock { $0.reason } }
    func cancel(_ reason: CancelReason) { state.withLock { if $0.reason == nil || reason == .leaseLost { $0.reason = reason } } }
    func setResult(_ json: String) { state.withLock { $0.result = json } }
    func addFollowUp(_ request: JobRequest) { state.withLock { $0.followUps.append(request) } }
    var result: String { state.withLock { $0.result } }
    func markRecorded() { state.withLock { $0.recorded = true } }
    var hasRecord: Bool { state.withLock { $0.recorded } }
    var followUps: [JobRequest] { state.withLock { $0.followUps } }
}

/// A logger with job metadata, made on first use and then kept.
final class JobLogger: Sendable {
    private let base: Logger
    private let jobID: String
    private let type: String
    private let queue: String
    private let cached = Mutex<Logger?>(nil)

    /// Keeps what the metadata is made of; the metadata itself is built on first use (most jobs never log).
    init(base: Logger, jobID: String, type: String, queue: String) {
        self.base = base
        self.jobID = jobID
        self.type = type
        self.queue = queue
    }

    var logger: Logger {
        cached.withLock { cached in
            if let cached { return cached }
            var logger = base
            var merged = logger.handler.metadata
            merged["job.id"] = .string(jobID)
            merged["job.type"] = .string(type)
            merged["queue"] = .string(queue)
            logger.handler.metadata = merged
            cached = logger
            return logger
        }
    }
}
