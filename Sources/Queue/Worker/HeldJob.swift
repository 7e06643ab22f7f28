import FleetCore
import Logging
import Synchronization

/// A job this worker holds, from admission until its outcome is written: one object per job, shared by the local
/// buffer, the slot that runs it, its ``JobContext`` and the acknowledgement queue, so moving a job between them
/// copies one reference.
///
/// It carries the run's mutable state (cancellation, result, follow-ups), which the handler, heartbeats and
/// cancellation requests share, and the job's logger, made on first use: setting logger metadata re-renders the log
/// handler's metadata, which costs more than a no-op job, and most jobs never log.
final class HeldJob: Sendable {
    /// The queue it came from.
    let queue: String
    /// Its stream entry id.
    let entryId: String
    /// Deliveries of this attempt, this one included: the fence every write of its outcome is checked against.
    let deliveries: Int
    /// The parsed entry.
    let envelope: JobEnvelope
    private let baseLogger: Logger
    private let state = Mutex(RunState())

    private struct RunState {
        var reason: CancelReason?
        var result = ""
        var followUps: [JobRequest] = []
        var recorded = false
        var logger: Logger?
        /// Made on the first ``JobContext/sleep(for:)``: cancellation wakes sleepers through it.
        var cancellation: AsyncLatch?
        /// Cancels the slot task while it runs the handler (set by ``runCancelling(_:)``).
        var cancelRun: (@Sendable () -> Void)?
    }

    init(queue: String, entryId: String, deliveries: Int, envelope: JobEnvelope, logger: Logger) {
        self.queue = queue
        self.entryId = entryId
        self.deliveries = deliveries
        self.envelope = envelope
        self.baseLogger = logger
    }

    /// What heartbeats renew and a shutdown hands back.
    var entry: HeldEntry {
        HeldEntry(
            queue: queue,
            entryId: entryId,
            deliveries: deliveries,
            jobId: envelope.id,
            concurrencyKey: envelope.concurrencyKey,
            concurrencyLimit: envelope.concurrencyLimit
        )
    }

    var isCancelled: Bool { state.withLock { $0.reason != nil } }
    var cancelReason: CancelReason? { state.withLock { $0.reason } }
    /// Asks the run to stop; a lost lease overrides an earlier reason (nothing the run does will be recorded).
    /// Also cancels the slot task running the handler (``runCancelling(_:)``), so a handler that never looks at the
    /// flag still stops at its next suspension point that honours cancellation (a sleep, an HTTP request, a query, a
    /// child process read).
    func cancel(_ reason: CancelReason) {
        let latch = state.withLock { state -> AsyncLatch? in
            if state.reason == nil || reason == .leaseLost { state.reason = reason }
            // Under the lock: `runCancelling` clears the hook under it when the run ends, so the slot's next job is
            // never the one cancelled.
            state.cancelRun?()
            state.cancelRun = nil
            return state.cancellation
        }
        latch?.signal()
    }

    /// Runs `body` (the handler) so that ``cancel(_:)`` cancels the current task while it runs. The caller is a
    /// long-lived slot task: once cancelled it stays cancelled, so the slot ends after this job and the worker
    /// starts a fresh one. - Returns: `body`'s result.
    func runCancelling<T>(_ body: () async throws -> T) async rethrows -> T {
        var task: CancellableTask?
        withUnsafeCurrentTask { (current: UnsafeCurrentTask?) in
            if let current { task = CancellableTask(current) }
        }
        let running = task
        var hook: (@Sendable () -> Void)?
        if let running { hook = { running.cancel() } }
        let cancelled = state.withLock { state -> Bool in
            if state.reason != nil { return true }
            state.cancelRun = hook
            return false
        }
        if cancelled { running?.cancel() }
        defer { state.withLock { $0.cancelRun = nil } }
        return try await body()
    }

    /// Waits until the run is cancelled or `deadline` passes. - Returns: whether it was cancelled.
    func waitForCancellation(until deadline: ContinuousClock.Instant) async -> Bool {
        let latch = state.withLock { state in
            if let latch = state.cancellation { return latch }
            let latch = AsyncLatch(signalled: state.reason != nil)
            state.cancellation = latch
            return latch
        }
        return await latch.wait(until: deadline)
    }
    func setResult(_ json: String) { state.withLock { $0.result = json } }
    func addFollowUp(_ request: JobRequest) { state.withLock { $0.followUps.append(request) } }
    func markRecorded() { state.withLock { $0.recorded = true } }

    /// What the handler left for the acknowledgement: its result, follow-ups, and whether it wrote a record hash.
    var outcome: (result: String, followUps: [JobRequest], hasRecord: Bool) {
        state.withLock { ($0.result, $0.followUps, $0.recorded) }
    }

    /// A logger with `job.id`, `job.type` and `queue` metadata.
    var logger: Logger {
        state.withLock { state in
            if let logger = state.logger { return logger }
            var logger = baseLogger
            var merged = logger.handler.metadata
            merged["job.id"] = .string(envelope.id)
            merged["job.type"] = .string(envelope.type)
            merged["queue"] = .string(queue)
            logger.handler.metadata = merged
            state.logger = logger
            return logger
        }
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

/// The slot task running a job, to cancel it from another thread while the job runs (``HeldJob/runCancelling(_:)``
/// holds it only for the run, under the job's lock, so it is never used after the task moved on).
struct CancellableTask: @unchecked Sendable {
    let task: UnsafeCurrentTask
    init(_ task: UnsafeCurrentTask) { self.task = task }
    func cancel() { task.cancel() }
}
