import FleetCore
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

/// The worker runtime: a `Service` that consumes queues with a fixed concurrency and runs registered handlers.
///
/// One fetch loop reads batches (`XREADGROUP … COUNT`, blocking only when the queues are empty) into a leased local
/// buffer; `concurrency` long-lived slot tasks take jobs from it and run them; finished jobs are acknowledged in batches (fenced: a job reclaimed by another worker cannot be
/// completed here); failures are retried with backoff or dead-lettered. Heartbeats renew the leases of running jobs;
/// entries of dead workers are reclaimed after ``Configuration/lease``. On graceful shutdown it stops fetching,
/// lets running jobs finish for up to ``Configuration/shutdownTimeout``, hands the rest back for immediate reclaim,
/// and returns.
///
/// ```swift
/// let worker = QueueWorker(queue: queue, registry: registry, configuration: try .init(environment: env), logger: logger)
/// try await ServiceGroup(services: [redis, worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public final class QueueWorker: Service, Sendable {
    /// The queue engine.
    public let queue: StreamQueue
    /// Handlers by job type.
    public let registry: JobRegistry
    /// Settings.
    public let configuration: Configuration
    let logger: Logger
    let metrics = QueueMetrics()
    /// Whether a tracer was bootstrapped when the worker was made (then each run gets a consumer span). Read once:
    /// `InstrumentationSystem.tracer` takes a lock on every read.
    let tracing = !(InstrumentationSystem.tracer is NoOpTracer)
    let state = Mutex(State())
    let startedAtMs = SystemClock.nowMs()
    /// Signalled by ``requestStop()``: sleeps and backoffs end at once.
    let stopped = AsyncLatch()
    /// Signalled once a stop was requested and no job runs any more.
    let drained = AsyncLatch()

    /// Where a held job is: waiting in the buffer, running in a slot, or finished with its outcome being written.
    enum Phase {
        case buffered
        case running
        case acking
    }

    struct Held {
        let job: HeldJob
        var phase: Phase
    }

    struct State {
        /// Every job this worker holds (its lease is renewed by heartbeats), by identity.
        var held: [ObjectIdentifier: Held] = [:]
        var runningCount = 0
        var pendingAcks: [(HeldJob, Completion)] = []
        var flushing = false
        var stopRequested = false
        /// Admitted jobs waiting for a slot, oldest first from `pendingHead`.
        var pending: [HeldJob] = []
        var pendingHead = 0
        /// Slot tasks waiting for work.
        var idleSlots: [CheckedContinuation<Void, Never>] = []
        /// The fetch loop, waiting for the buffer to hold at most `refillThreshold` entries.
        var refillWaiter: CheckedContinuation<Void, Never>?
        var refillThreshold = 0
        var reclaimRequested = true
        /// Slots that ended because their task was cancelled to stop a job; the fetch loop starts fresh ones.
        var slotsToRestart = 0
        var fetchConnection: RedisConnection?
        var processed = 0
        var failed = 0
        var paused: Set<String> = []
        var pausedRefreshedAt: ContinuousClock.Instant?
        /// The newest paused-set version this worker applied and confirmed (`P:paused:seen`).
        var pausedVersionConfirmed = 0
        /// Admitted jobs of paused queues: held (leases renewed), started after a resume, handed back at shutdown.
        var heldBack: [HeldJob] = []
        /// Whether a failure to load the functions library was logged already.
        var functionsWarned = false

        var pendingCount: Int { pending.count - pendingHead }

        /// Takes the next job a slot may start, marking it running: skips jobs a shutdown handed back and jobs whose
        /// delivery another worker took over, and holds back jobs of paused queues.
        mutating func takeNext() -> HeldJob? {
            while let job = popPending() {
                guard let index = held.index(forKey: ObjectIdentifier(job)) else { continue }
                if job.cancelReason == .leaseLost {
                    held.remove(at: index)
                    continue
                }
                if paused.contains(job.queue) {
                    heldBack.append(job)
                    continue
                }
                held.values[index].phase = .running
                runningCount += 1
                return job
            }
            return nil
        }

        /// Sets the paused queues; held-back jobs of queues no longer paused go to the front of the buffer.
        /// - Returns: idle slots to wake for them.
        mutating func setPaused(_ queues: Set<String>) -> [CheckedContinuation<Void, Never>] {
            paused = queues
            guard heldBack.contains(where: { !queues.contains($0.queue) }) else { return [] }
            let released = heldBack.filter { !queues.contains($0.queue) }
            heldBack.removeAll { !queues.contains($0.queue) }
            pending.insert(contentsOf: released, at: pendingHead)
            let count = min(idleSlots.count, pendingCount)
            let wake = Array(idleSlots.suffix(count))
            idleSlots.removeLast(count)
            return wake
        }

        mutating func popPending() -> HeldJob? {
            guard pendingHead < pending.count else { return nil }
            let job = pending[pendingHead]
            pendingHead += 1
            if pendingHead >= 256 && pendingHead * 2 >= pending.count {
                pending.removeFirst(pendingHead)
                pendingHead = 0
            }
            return job
        }

        /// Held jobs in `phase`.
        func jobs(in phase: Phase) -> [HeldJob] { held.values.filter { $0.phase == phase }.map(\.job) }
    }

    /// Creates a worker.
    public init(queue: StreamQueue, registry: JobRegistry, configuration: Configuration, logger: Logger) {
        self.queue = queue
        self.registry = registry
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.consumerName)"
        self.logger = logger
    }

    /// The consumer name this worker reads as.
    public var consumerName: String { configuration.consumerName }

    /// Jobs running right now.
    public var runningCount: Int { state.withLock { $0.runningCount } }

    /// Runs until graceful shutdown (or cancellation), then drains as described above.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.runUntilStopped()
        } onGracefulShutdown: {
            self.requestStop()
        }
    }

    /// Asks the worker to stop: no new fetches; running jobs get ``Configuration/shutdownTimeout`` to finish.
    public func requestStop() {
        let (waiters, connection, idle) = state.withLock { state -> ([CheckedContinuation<Void, Never>], RedisConnection?, Bool) in
            state.stopRequested = true
            var waiters = state.idleSlots
            state.idleSlots = []
            if let refill = state.refillWaiter { waiters.append(refill) }
            state.refillWaiter = nil
            return (waiters, state.fetchConnection, state.runningCount == 0)
        }
        stopped.signal()
        if idle { drained.signal() }
        for waiter in waiters { waiter.resume() }
        connection?.interrupt()
    }

    var isStopRequested: Bool { state.withLock { $0.stopRequested } || Task.isCancelled }

    private func runUntilStopped() async throws {
        try await prepareGroups()
        if isStopRequested { return }
        let connection = try queue.redis.dedicatedConnection(role: "fetch")
        state.withLock { $0.fetchConnection = connection }
        logger.info(
            "worker started",
            metadata: [
                "queues": "\(configuration.queues.joined(separator: ","))", "concurrency": "\(configuration.concurrency)",
                "job.types": "\(registry.names.joined(separator: ","))",
            ]
        )
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.heartbeatLoop() }
            background.addTask { await self.promoteLoop() }
            background.addTask { await self.maintenanceLoop() }
            background.addTask { await self.eventsLoop() }
            await self.processLoop(connection)
            background.cancelAll()
        }
        state.withLock { $0.fetchConnection = nil }
        await queue.redis.closeDedicated(connection)
        await deregister()
        let (processed, failed) = state.withLock { ($0.processed, $0.failed) }
        logger.info("worker stopped", metadata: ["jobs.processed": "\(processed)", "jobs.failed": "\(failed)"])
    }

    private func prepareGroups() async throws {
        var failures = 0
        let deadline = ContinuousClock.now + configuration.startupTimeout
        while !isStopRequested {
            do {
                for name in configuration.queues { try await queue.ensureGroup(name) }
                await loadFunctions(replace: true)
                return
            } catch let error as RedisError where error.isTransient {
                if ContinuousClock.now >= deadline { throw error }
                failures += 1
                if failures == 1 || failures % 10 == 0 {
                    logger.error("cannot reach Redis to start consuming; retrying", metadata: ["error": "\(error)"])
                }
                await pause(failures: failures)
            }
        }
    }

    /// Between retries of a worker loop: 100 ms doubling to 2 s.
    static let loopBackoff = Backoff(base: .milliseconds(100), cap: .seconds(2))

    /// Sleeps the loop backoff, returning early when a stop is requested.
    func pause(failures: Int) async {
        await sleepUnlessStopped(Self.loopBackoff.delay(afterFailures: failures))
    }
}
