import Metrics
import Synchronization
import FleetCore
import Logging

extension QueueWorker {
    /// Fetches and starts jobs until a stop is requested, then waits for running jobs (up to the shutdown timeout)
    /// and hands back what is still running.
    ///
    /// Entries are fetched ahead into a small buffer (up to ``Configuration/batchSize``, at most twice the
    /// concurrency), so reads come in large batches while jobs finish one by one; buffered entries are leased like
    /// running ones and handed back on shutdown.
    func processLoop(_ connection: RedisConnection) async {
        await withDiscardingTaskGroup { jobs in
            var failures = 0
            var lastReclaim = ContinuousClock.now
            var buffer: [(Delivery, JobEnvelope)] = []
            let prefetch = max(1, min(configuration.batchSize, configuration.concurrency * 2))
            while !isStopRequested {
                if !buffer.isEmpty {
                    await waitForFreeSlot()
                    if isStopRequested { break }
                    let free = max(0, configuration.concurrency - runningCount)
                    let starting = buffer.prefix(free)
                    buffer.removeFirst(starting.count)
                    for (delivery, envelope) in starting {
                        let run = JobRun()
                        let count = state.withLock { state -> Int in
                            let key = entryKey(delivery.queue, delivery.entryId)
                            if let held = state.buffered.removeValue(forKey: key) { state.running[key] = Running(held: held, run: run) }
                            return state.running.count
                        }
                        metrics.inFlight.record(count)
                        jobs.addTask { await self.execute(delivery, envelope: envelope, run: run) }
                    }
                    if buffer.count > prefetch / 4 { continue }
                }
                let want = prefetch - buffer.count
                do {
                    var batch: [Delivery] = []
                    let reclaimDue = state.withLock { state in
                        defer { state.reclaimRequested = false }
                        return state.reclaimRequested
                    }
                    if reclaimDue || ContinuousClock.now - lastReclaim >= configuration.reclaimInterval {
                        lastReclaim = .now
                        for name in configuration.queues where batch.count < want {
                            batch += try await queue.reclaim(consumer: consumerName, queue: name, minIdle: configuration.lease, count: want - batch.count)
                        }
                        if !batch.isEmpty {
                            logger.info("reclaimed jobs of a dead or stopping worker", metadata: ["count": "\(batch.count)"])
                        }
                    }
                    let paused = try await pausedQueues()
                    if batch.isEmpty {
                        batch = try await queue.fetch(consumer: consumerName, queues: configuration.fetchOrder(), count: want, paused: paused)
                    }
                    if batch.isEmpty && buffer.isEmpty {
                        await waitForFreeSlot()
                        if isStopRequested { break }
                        let open = configuration.queues.filter { !paused.contains($0) }
                        if open.isEmpty {
                            await sleepUnlessStopped(configuration.blockTimeout)
                        } else {
                            batch = try await queue.blockingRead(
                                on: connection, consumer: consumerName, queues: open, count: min(want, 10), block: configuration.blockTimeout)
                        }
                    }
                    failures = 0
                    let admitted = try await admit(batch)
                    state.withLock { state in
                        for (delivery, envelope) in admitted {
                            state.buffered[entryKey(delivery.queue, delivery.entryId)] = HeldEntry(
                                queue: delivery.queue, entryId: delivery.entryId, jobId: envelope.id, concurrencyKey: envelope.concurrencyKey,
                                concurrencyLimit: envelope.concurrencyLimit)
                        }
                    }
                    buffer += admitted
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

    /// Waits until fewer than `concurrency` jobs run, or a stop is requested.
    func waitForFreeSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.stopRequested || state.running.count < configuration.concurrency { return true }
                state.slotWaiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func sleepUnlessStopped(_ duration: Duration) async {
        let deadline = ContinuousClock.now + duration
        while !isStopRequested, ContinuousClock.now < deadline {
            try? await Task.sleep(for: min(.milliseconds(50), deadline - .now))
        }
    }

    /// The paused queues: kept from `pause`/`resume` events and re-read from Redis at most every 250 ms, so a pause
    /// whose event was missed still takes effect within that time.
    func pausedQueues() async throws -> Set<String> {
        let cached = state.withLock { state -> Set<String>? in
            guard let at = state.pausedRefreshedAt, ContinuousClock.now - at < .milliseconds(250) else { return nil }
            return state.paused
        }
        if let cached { return cached }
        let reply = try await queue.redis.send(RedisCommand("SMEMBERS", queue.keys.paused))
        let paused = Set(reply.array?.compactMap(\.string) ?? [])
        state.withLock { state in
            state.paused = paused
            state.pausedRefreshedAt = .now
        }
        return paused
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
                if let next = envelope.next, (try? JSONCoding.decode([JobRequest].self, from: next)) == nil {
                    rejects.append(report(for: delivery, envelope: envelope, error: "malformed entry: field 'next' is not a JSON array of job requests", retryAtMs: nil))
                } else if delivery.deliveries > configuration.maxDeliveries {
                    rejects.append(report(
                        for: delivery, envelope: envelope,
                        error: "delivered \(delivery.deliveries) times without finishing (more than QUEUE_MAX_DELIVERIES=\(configuration.maxDeliveries)); does it crash or hang its worker?",
                        retryAtMs: nil))
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
                logger.error("dead-lettered an entry that cannot run", metadata: [
                    "queue": "\(report.queue)", "entry.id": "\(report.entryId)", "job.id": "\(report.jobId)", "outcome": "\(outcome)",
                    "error": "\(report.errorJSON)",
                ])
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
        let deadline = ContinuousClock.now + configuration.shutdownTimeout
        while runningCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let (leftovers, unstarted) = state.withLock { state in
            defer { state.buffered = [:] }
            return (state.running.values.map { $0 }, Array(state.buffered.values))
        }
        guard !leftovers.isEmpty || !unstarted.isEmpty else { return }
        for job in leftovers { job.run.cancel(.shutdown) }
        do {
            let count = try await queue.handBack(leftovers.map(\.held) + unstarted, consumer: consumerName, idle: configuration.lease + .seconds(1))
            logger.info("handed unfinished jobs back for immediate reclaim", metadata: ["count": "\(count)"])
        } catch {
            logger.error("could not hand unfinished jobs back; they will be reclaimed after the lease", metadata: [
                "error": "\(error)", "job.ids": "\((leftovers.map(\.held) + unstarted).map(\.jobId).joined(separator: ","))",
            ])
        }
    }
}
