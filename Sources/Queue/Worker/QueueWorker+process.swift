import FleetCore
import Logging
import Metrics
import Synchronization

extension QueueWorker {
    /// Runs `concurrency` slot tasks that take jobs from a local buffer, and a fetch loop that refills the buffer
    /// in batches, until a stop is requested; then waits for running jobs (up to the shutdown timeout) and hands
    /// back what is still running or buffered.
    ///
    /// The buffer holds up to ``Configuration/batchSize`` entries (at most twice the concurrency); buffered entries
    /// are leased like running ones. Slot tasks are long-lived, so a busy worker creates no task per job and the
    /// fetch loop wakes once per refill, not once per finished job.
    func processLoop(_ connection: RedisConnection) async {
        let prefetch = max(1, min(configuration.batchSize, configuration.concurrency * 2))
        let lowWater = prefetch / 4
        await withDiscardingTaskGroup { group in
            for _ in 0..<configuration.concurrency {
                group.addTask { await self.slotLoop() }
            }
            var failures = 0
            var lastReclaim = ContinuousClock.now
            // After an empty fetch, wait for the buffer to run dry (then block on Redis) instead of polling.
            var refillAt = lowWater
            while !isStopRequested {
                await waitForRefill(lowWater: refillAt)
                if isStopRequested { break }
                let restart = state.withLock { state in
                    defer { state.slotsToRestart = 0 }
                    return state.slotsToRestart
                }
                for _ in 0..<restart { group.addTask { await self.slotLoop() } }
                let want = prefetch - state.withLock { $0.pendingCount }
                if want <= 0 { continue }
                do {
                    var batch: [Delivery] = []
                    let reclaimDue = state.withLock { state in
                        defer { state.reclaimRequested = false }
                        return state.reclaimRequested
                    }
                    if reclaimDue || ContinuousClock.now - lastReclaim >= configuration.reclaimInterval {
                        lastReclaim = .now
                        for name in configuration.queues where batch.count < want {
                            // What this worker still holds is never taken back (after a Redis outage its leases look expired).
                            let held = state.withLock { state in Set(state.held.values.lazy.filter { $0.job.queue == name }.map(\.job.entryId)) }
                            batch += try await queue.reclaim(
                                consumer: consumerName,
                                queue: name,
                                minIdle: configuration.lease,
                                count: want - batch.count,
                                held: held
                            )
                        }
                        if !batch.isEmpty {
                            logger.info("reclaimed jobs of a dead or stopping worker", metadata: ["count": "\(batch.count)"])
                        }
                    }
                    let paused = try await pausedQueues()
                    if batch.isEmpty {
                        batch = try await queue.fetch(consumer: consumerName, queues: configuration.fetchOrder(), count: want, paused: paused)
                    }
                    if batch.isEmpty && state.withLock({ $0.pendingCount == 0 }) {
                        let open = configuration.queues.filter { !paused.contains($0) }
                        if open.isEmpty {
                            await sleepUnlessStopped(configuration.blockTimeout)
                        } else {
                            batch = try await queue.blockingRead(
                                on: connection,
                                consumer: consumerName,
                                queues: open,
                                count: min(want, 10),
                                block: configuration.blockTimeout
                            )
                        }
                    }
                    failures = 0
                    refillAt = batch.isEmpty ? 0 : lowWater
                    let admitted = try await admit(batch)
                    if admitted.isEmpty { continue }
                    let jobs = admitted.map { delivery, envelope in
                        HeldJob(queue: delivery.queue, entryId: delivery.entryId, deliveries: delivery.deliveries, envelope: envelope, logger: logger)
                    }
                    let wake = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                        for job in jobs { state.held[ObjectIdentifier(job)] = Held(job: job, phase: .buffered) }
                        state.pending += jobs
                        let count = min(state.idleSlots.count, state.pendingCount)
                        let wake = Array(state.idleSlots.suffix(count))
                        state.idleSlots.removeLast(count)
                        return wake
                    }
                    for slot in wake { slot.resume() }
                } catch {
                    if isStopRequested { break }
                    failures += 1
                    metrics.redisError(operation: "fetch")
                    if failures == 1 || failures % 20 == 0 {
                        logger.error("fetching jobs failed; retrying with backoff", metadata: ["error": "\(error)", "failures": "\(failures)"])
                    }
                    await pause(failures: failures)
                }
            }
            await drainOnShutdown()
        }
        await flushAcks()
    }

    /// One of `concurrency` long-lived tasks: takes the next buffered job, runs it, repeats; waits when the buffer
    /// is empty; returns once a stop is requested (after finishing the job it runs).
    func slotLoop() async {
        var instruments: QueueMetrics.JobInstruments?
        while true {
            // One lock per job: take it, mark it running, and see whether the fetch loop should refill.
            let (taken, refill) = state.withLock { state -> ((HeldJob, Int)?, CheckedContinuation<Void, Never>?) in
                if state.stopRequested { return (nil, nil) }
                let job = state.takeNext()
                var refill: CheckedContinuation<Void, Never>?
                if state.refillWaiter != nil && state.pendingCount <= state.refillThreshold {
                    refill = state.refillWaiter
                    state.refillWaiter = nil
                }
                guard let job else { return (nil, refill) }
                return ((job, state.runningCount), refill)
            }
            refill?.resume()
            if let (job, running) = taken {
                metrics.inFlight.record(running)
                let current = metrics.job(queue: job.queue, type: job.envelope.type, reusing: instruments)
                instruments = current
                await execute(job, instruments: current)
                if Task.isCancelled {
                    // Cancelled to stop its job's handler: a cancelled task stays cancelled, so this slot ends and
                    // the fetch loop starts a fresh one (unless the worker is stopping).
                    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                        guard !state.stopRequested else { return nil }
                        state.slotsToRestart += 1
                        defer { state.refillWaiter = nil }
                        return state.refillWaiter
                    }
                    waiter?.resume()
                    return
                }
                continue
            }
            if isStopRequested { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.stopRequested || state.pendingCount > 0 { return true }
                    state.idleSlots.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    /// Waits until the buffer holds at most `lowWater` entries, or a stop is requested.
    func waitForRefill(lowWater: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.stopRequested || state.pendingCount <= lowWater { return true }
                state.refillThreshold = lowWater
                state.refillWaiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Sleeps `duration`, waking at once when a stop is requested (or the task is cancelled).
    func sleepUnlessStopped(_ duration: Duration) async {
        await stopped.wait(until: .now + duration)
    }

    /// The paused queues: kept from `pause`/`resume` events and re-read from Redis at most every 250 ms, so a pause
    /// whose event was missed still takes effect within that time.
    func pausedQueues() async throws -> Set<String> {
        let cached = state.withLock { state -> Set<String>? in
            guard let at = state.pausedRefreshedAt, ContinuousClock.now - at < .milliseconds(250) else { return nil }
            return state.paused
        }
        if let cached { return cached }
        // The version first: a pause between the two reads is then confirmed late, never early.
        let replies = try await queue.redis.pipeline([RedisCommand("GET", queue.keys.pausedVersion), RedisCommand("SMEMBERS", queue.keys.paused)])
        let version = try replies[0].throwingError().string.flatMap { Int($0) } ?? 0
        let paused = Set(try replies[1].throwingError().array?.compactMap(\.string) ?? [])
        let wake = state.withLock { state in
            state.pausedRefreshedAt = .now
            return state.setPaused(paused)
        }
        for slot in wake { slot.resume() }
        try await confirmPaused(version)
        return paused
    }

    /// Tells pausing clients that this worker applied the paused set of `version` (after applying it).
    func confirmPaused(_ version: Int) async throws {
        guard state.withLock({ version > $0.pausedVersionConfirmed }) else { return }
        try await queue.redis.evaluate(
            AdminScripts.confirmPause,
            keys: [],
            arguments: [queue.configuration.prefix, queue.configuration.group, queue.scriptTime, consumerName, String(version)]
        )
        state.withLock { $0.pausedVersionConfirmed = max($0.pausedVersionConfirmed, version) }
    }

    /// Dead-letters entries that cannot run (malformed, invalid follow-ups, delivered too often) and takes concurrency
    /// slots for the rest (parking those whose key is full). Returns what may start now.
    func admit(_ batch: [Delivery]) async throws -> [(Delivery, JobEnvelope)] {
        if batch.isEmpty { return [] }
        var runnable: [(Delivery, JobEnvelope)] = []
        var limited: [(Delivery, JobEnvelope)] = []
        var rejects: [FailureReport] = []
        for delivery in batch {
            switch delivery.envelope {
            case .failure(let error):
                rejects.append(report(for: delivery, envelope: nil, error: "malformed entry: \(error.message)", retryAtMs: nil))
            case .success(let envelope):
                if let next = envelope.next, let problem = followUpProblem(next) {
                    rejects.append(report(for: delivery, envelope: envelope, error: "malformed entry: \(problem)", retryAtMs: nil))
                } else if delivery.deliveries > configuration.maxDeliveries {
                    rejects.append(
                        report(
                            for: delivery,
                            envelope: envelope,
                            error:
                                "delivered \(delivery.deliveries) times without finishing (more than QUEUE_MAX_DELIVERIES=\(configuration.maxDeliveries)); does it crash or hang its worker?",
                            retryAtMs: nil
                        )
                    )
                } else if envelope.concurrencyKey != nil {
                    limited.append((delivery, envelope))
                } else {
                    runnable.append((delivery, envelope))
                }
            }
        }
        if !rejects.isEmpty {
            let outcomes = try await queue.fail(rejects, consumer: consumerName)
            for (report, outcome) in zip(rejects, outcomes) {
                logger.error(
                    "dead-lettered an entry that cannot run",
                    metadata: [
                        "queue": "\(report.queue)", "entry.id": "\(report.entryId)", "job.id": "\(report.jobId)", "outcome": "\(outcome)",
                        "error": "\(report.errorJSON)",
                    ]
                )
            }
        }
        if !limited.isEmpty {
            let flags = try await queue.acquireSlots(limited, consumer: consumerName, lease: configuration.lease)
            for (job, granted) in zip(limited, flags) where granted { runnable.append(job) }
        }
        return runnable
    }

    /// After a stop request: waits for running jobs up to the shutdown timeout, then hands the rest back and cancels them.
    func drainOnShutdown() async {
        // Woken when the last running job finishes (execute signals it), not by polling.
        await drained.wait(until: .now + configuration.shutdownTimeout)
        let (leftovers, unstarted) = state.withLock { state in
            let leftovers = state.jobs(in: .running)
            let unstarted = state.jobs(in: .buffered)
            for job in unstarted { state.held.removeValue(forKey: ObjectIdentifier(job)) }
            state.pending = []
            state.pendingHead = 0
            state.heldBack = []
            return (leftovers, unstarted)
        }
        guard !leftovers.isEmpty || !unstarted.isEmpty else { return }
        for job in leftovers { job.cancel(.shutdown) }
        let entries = (leftovers + unstarted).map(\.entry)
        do {
            let count = try await queue.handBack(entries, consumer: consumerName, idle: configuration.lease + .seconds(1))
            logger.info("handed unfinished jobs back for immediate reclaim", metadata: ["count": "\(count)"])
        } catch {
            logger.error(
                "could not hand unfinished jobs back; they will be reclaimed after the lease",
                metadata: [
                    "error": "\(error)", "job.ids": "\(entries.map(\.jobId).joined(separator: ","))",
                ]
            )
        }
    }
}
