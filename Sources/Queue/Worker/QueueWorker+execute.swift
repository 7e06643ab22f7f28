import FleetCore
import Logging
import Metrics
import Synchronization
import Tracing

extension QueueWorker {
    enum Outcome {
        case completed
        case cancelled
        case retry(String, atMs: Int64)
        case deferred(String, atMs: Int64)
        case dead(String)
        case abandoned
    }

    /// Runs one job and records its outcome.
    /// - Parameter instruments: the metrics of the job's queue and type (slots keep the last ones they used).
    func execute(_ job: HeldJob, instruments: QueueMetrics.JobInstruments) async {
        let envelope = job.envelope
        if let entryMs = StreamQueue.entryIdParts(job.entryId)?.ms {
            instruments.wait.recordMilliseconds(max(0, SystemClock.nowMs() - Int64(entryMs)))
        }
        let context = JobContext(job: job, queueEngine: queue)
        let started = ContinuousClock.now
        let outcome: Outcome
        if let handler = registry.handler(for: envelope.type) {
            do {
                // A cancel, a lost lease or the shutdown deadline cancels this (slot) task while the handler runs,
                // so a handler that never polls the flag still stops; the slot is replaced afterwards.
                try await job.runCancelling { try await runHandler(handler, envelope, job: job, context: context) }
                outcome = job.cancelReason == .leaseLost ? .abandoned : .completed
            } catch {
                outcome = classify(error, job: job)
            }
        } else {
            outcome = .dead(
                "unknown job type '\(envelope.type)': no handler is registered in this worker (it knows \(registry.names.joined(separator: ", "))); deploy a worker that has it, then retry the dead letter"
            )
        }
        let elapsed = ContinuousClock.now - started
        instruments.duration.recordNanoseconds(elapsed.nanoseconds)
        if Task.isCancelled {
            // This slot was cancelled to stop the handler: write the outcome from a task that is not, or the
            // acknowledgement (and the batch it may flush) would be cancelled too.
            await Task { await self.settle(job, outcome, instruments: instruments) }.value
        } else {
            await settle(job, outcome, instruments: instruments)
        }
    }

    /// Runs `handler` for `job`, in a consumer span when a tracer is bootstrapped.
    func runHandler(_ handler: JobRegistry.Handler, _ envelope: JobEnvelope, job: HeldJob, context: JobContext) async throws {
        if !tracing {
            // No tracer bootstrapped: skip building a span that nobody records (≈ 10 % of a no-op job).
            try await handler(envelope.payload, context)
        } else {
            // A consumer span per run, a child of the producer's trace when the job carries one.
            try await withSpan(envelope.type, context: TraceCarrier.context(from: envelope.traceContext), ofKind: .consumer) { span in
                span.attributes["job.id"] = envelope.id
                span.attributes["job.queue"] = job.queue
                span.attributes["job.attempt"] = envelope.attempt
                try await handler(envelope.payload, context)
            }
        }
    }

    /// Records `outcome` for `job`: into the acknowledgement batch, or as a failure, or nothing (abandoned).
    func settle(_ job: HeldJob, _ outcome: Outcome, instruments: QueueMetrics.JobInstruments) async {
        let envelope = job.envelope

        var completion: Completion?
        switch outcome {
        case .completed, .cancelled:
            let (result, added, hasRecord) = job.outcome
            var followUps: [JobRequest] = []
            if case .completed = outcome {
                // Checked at admission (an entry with invalid follow-ups never runs); `complete` prepares them again.
                if let next = envelope.next, let decoded = try? JSONCoding.decode([JobRequest].self, from: next) { followUps = decoded }
                followUps += added
            }
            completion = Completion(
                queue: job.queue,
                entryId: job.entryId,
                deliveries: job.deliveries,
                envelope: envelope,
                state: { if case .cancelled = outcome { return .cancelled } else { return .completed } }(),
                result: result,
                followUps: followUps,
                hasRecord: hasRecord
            )
        case .retry, .deferred, .dead, .abandoned:
            break
        }
        // One lock: leave the running jobs and, when completed, join the acknowledgement queue. Until its outcome is
        // written the entry stays held (heartbeats renew it).
        let id = ObjectIdentifier(job)
        let (running, flusher, drainedNow) = state.withLock { state -> (Int, Bool, Bool) in
            if let index = state.held.index(forKey: id), state.held.values[index].phase == .running {
                state.runningCount -= 1
                if case .abandoned = outcome {
                    state.held.remove(at: index)
                } else {
                    state.held.values[index].phase = .acking
                }
            }
            let drainedNow = state.stopRequested && state.runningCount == 0
            guard let completion else { return (state.runningCount, false, drainedNow) }
            state.pendingAcks.append((job, completion))
            if state.flushing { return (state.runningCount, false, drainedNow) }
            state.flushing = true
            return (state.runningCount, true, drainedNow)
        }
        if drainedNow { drained.signal() }
        metrics.inFlight.record(running)

        switch outcome {
        case .completed, .cancelled:
            // The first job to find no flush in progress flushes every queued completion in batches.
            if flusher { await flushAcks() }
        case .retry(let message, let at):
            var next = envelope
            next.attempt += 1
            await recordFailure(report(for: job, envelope: next, error: message, retryAtMs: at, attempt: envelope.attempt), logger: job.logger)
            _ = state.withLock { $0.held.removeValue(forKey: id) }
        case .deferred(let message, let at):
            // The attempt is not spent: the envelope goes back unchanged.
            await recordFailure(report(for: job, envelope: envelope, error: message, retryAtMs: at), logger: job.logger)
            _ = state.withLock { $0.held.removeValue(forKey: id) }
        case .dead(let message):
            await recordFailure(report(for: job, envelope: envelope, error: message, retryAtMs: nil), logger: job.logger)
            _ = state.withLock { $0.held.removeValue(forKey: id) }
        case .abandoned:
            instruments.finished("abandoned")
            job.logger.info("job stopped without an outcome: it was handed back or reclaimed by another worker")
        }
    }

    func classify(_ error: any Error, job: HeldJob) -> Outcome {
        switch job.cancelReason {
        case .requested: return .cancelled
        case .leaseLost, .shutdown: return .abandoned
        case nil: break
        }
        let envelope = job.envelope
        // The worker itself is being cancelled: the job was handed back (or will be reclaimed), record nothing.
        if error is CancellationError && Task.isCancelled { return .abandoned }
        let now = queue.clock.nowMs()
        // `max` 0 or absent (a producer that did not say) means the queue's default.
        let maxAttempts = envelope.maxAttempts > 0 ? envelope.maxAttempts : queue.configuration.maxAttempts
        var message = String(describing: error)
        var retryAt = now + queue.retryDelayMs(afterAttempt: envelope.attempt)
        if let failure = error as? JobFailure {
            switch failure {
            case .permanent(let reason): return .dead(reason)
            case .deferred(let reason, let until): return .deferred(reason, atMs: max(now, until))
            case .retryable(let reason, let after):
                message = reason
                if let after { retryAt = now + after }
            }
        }
        if envelope.attempt >= maxAttempts { return .dead("\(message) (attempt \(envelope.attempt) of \(maxAttempts))") }
        return .retry(message, atMs: retryAt)
    }

    /// The failure report of an entry that cannot run (malformed, or delivered too often). An entry without a valid
    /// job id is recorded, and dead-lettered, as `entry-<entry id>`: its stored `id` is that name (an invalid one is
    /// kept as `badid`), so `queue dead`, `job`, `retry` and `delete` all find it by the same id.
    func report(for delivery: Delivery, envelope: JobEnvelope?, error: String, retryAtMs: Int64?) -> FailureReport {
        let jobId = envelope?.id ?? delivery.jobId ?? "entry-\(delivery.entryId)"
        var fields = envelope?.fields ?? []
        if envelope == nil {
            for (name, value) in delivery.fields {
                if name == "id" {
                    if value != jobId { fields += ["badid", value] }
                } else {
                    fields += [name, value]
                }
            }
            fields = ["id", jobId] + fields
        }
        return report(
            queue: delivery.queue,
            entryId: delivery.entryId,
            deliveries: delivery.deliveries,
            jobId: jobId,
            fields: fields,
            envelope: envelope,
            error: error,
            retryAtMs: retryAtMs,
            attempt: envelope?.attempt ?? 1
        )
    }

    /// The failure report of a run; `envelope` is the job as it should be stored (for a retry: its next attempt).
    func report(for job: HeldJob, envelope: JobEnvelope, error: String, retryAtMs: Int64?, attempt: Int? = nil) -> FailureReport {
        report(
            queue: job.queue,
            entryId: job.entryId,
            deliveries: job.deliveries,
            jobId: envelope.id,
            fields: envelope.fields,
            envelope: envelope,
            error: error,
            retryAtMs: retryAtMs,
            attempt: attempt ?? envelope.attempt
        )
    }

    private func report(
        queue: String,
        entryId: String,
        deliveries: Int,
        jobId: String,
        fields: [String],
        envelope: JobEnvelope?,
        error: String,
        retryAtMs: Int64?,
        attempt: Int
    ) -> FailureReport {
        struct ErrorRecord: Encodable {
            let attempt: Int
            let at: Int64
            let error: String
            let worker: String
            let deliveries: Int
        }
        let record = ErrorRecord(
            attempt: attempt,
            at: self.queue.clock.nowMs(),
            error: String(error.prefix(4000)),
            worker: consumerName,
            deliveries: deliveries
        )
        let json = (try? JSONCoding.encode(record)) ?? #"{"error":"unencodable error"}"#
        return FailureReport(
            queue: queue,
            entryId: entryId,
            deliveries: deliveries,
            jobId: jobId,
            fields: fields,
            uniqueKey: envelope?.uniqueKey,
            concurrencyKey: envelope?.concurrencyKey,
            concurrencyLimit: envelope?.concurrencyLimit,
            errorJSON: json,
            retryAtMs: retryAtMs
        )
    }

    func recordFailure(_ report: FailureReport, logger: Logger) async {
        var failures = 0
        while true {
            do {
                let outcome = try await queue.fail([report], consumer: consumerName)[0]
                state.withLock { $0.failed += 1 }
                let type = report.fields.pairsValue("type") ?? "?"
                metrics.job(queue: report.queue, type: type).finished(outcome)
                switch outcome {
                case "dead": logger.error("job failed for good and was dead-lettered", metadata: ["error": "\(report.errorJSON)"])
                case "retrying":
                    logger.info("job failed; retrying later", metadata: ["error": "\(report.errorJSON)", "retry.at": "\(report.retryAtMs ?? 0)"])
                default: logger.info("failure not recorded: another worker reclaimed the job", metadata: ["error": "\(report.errorJSON)"])
                }
                return
            } catch {
                failures += 1
                metrics.redisError(operation: "fail")
                let transient = (error as? RedisError)?.isTransient == true
                if !transient || failures >= 8 || (isStopRequested && failures >= 3) {
                    logger.error(
                        "could not record a job failure; the entry stays pending and will be redelivered after the lease",
                        metadata: [
                            "error": "\(error)", "entry.id": "\(report.entryId)",
                        ]
                    )
                    return
                }
                await pause(failures: failures)
            }
        }
    }

    /// Sends queued completions until none are left.
    func flushAcks() async {
        while true {
            let batch = state.withLock { state -> [(HeldJob, Completion)] in
                if state.pendingAcks.isEmpty { state.flushing = false }
                // Usually all of them: then the queue is handed over whole, not copied.
                if state.pendingAcks.count <= 500 { return exchange(&state.pendingAcks, with: []) }
                defer { state.pendingAcks.removeFirst(500) }
                return Array(state.pendingAcks.prefix(500))
            }
            if batch.isEmpty { return }
            await acknowledge(batch)
        }
    }

    /// Writes one batch of completions. Transient Redis failures (connection, timeout, loading) are retried with
    /// backoff; a batch Redis refuses for any other reason is split until the completion it refuses stands alone,
    /// and that one is dead-lettered with the reason, so one bad job never holds back, or re-runs, its batch mates.
    func acknowledge(_ batch: [(HeldJob, Completion)]) async {
        let completions = batch.map(\.1)
        var failures = 0
        while true {
            do {
                let accepted = try await queue.complete(completions, consumer: consumerName)
                state.withLock { state in
                    for (job, _) in batch { state.held.removeValue(forKey: ObjectIdentifier(job)) }
                    state.processed += accepted.filter { $0 }.count
                }
                var instruments: QueueMetrics.JobInstruments?
                for (completion, ok) in zip(completions, accepted) {
                    // Batches are mostly one queue and type: the instruments are looked up again only when they change.
                    let current = metrics.job(queue: completion.queue, type: completion.envelope.type, reusing: instruments)
                    instruments = current
                    current.finished(ok ? completion.state.rawValue : "rejected")
                    if !ok {
                        logger.info(
                            "acknowledgement rejected: another worker reclaimed the job after this worker's lease ran out",
                            metadata: [
                                "job.id": "\(completion.envelope.id)", "entry.id": "\(completion.entryId)",
                            ]
                        )
                    }
                }
                return
            } catch let error as RedisError where error.isTransient {
                failures += 1
                metrics.redisError(operation: "complete")
                if failures >= 8 || (isStopRequested && failures >= 3) {
                    state.withLock { state in
                        for (job, _) in batch { state.held.removeValue(forKey: ObjectIdentifier(job)) }
                    }
                    logger.error(
                        "could not acknowledge finished jobs; they stay pending and will run again after the lease",
                        metadata: [
                            "error": "\(error)", "job.ids": "\(completions.map(\.envelope.id).joined(separator: ","))",
                        ]
                    )
                    return
                }
                await pause(failures: failures)
            } catch {
                if batch.count > 1 {
                    let half = batch.count / 2
                    await acknowledge(Array(batch[..<half]))
                    await acknowledge(Array(batch[half...]))
                    return
                }
                let job = batch[0].0
                await recordFailure(
                    report(
                        for: job,
                        envelope: job.envelope,
                        error:
                            "the job ran, but its outcome could not be recorded (\(error)); its follow-ups were not enqueued. Fix what the error names, then retry the dead letter",
                        retryAtMs: nil
                    ),
                    logger: job.logger
                )
                _ = state.withLock { $0.held.removeValue(forKey: ObjectIdentifier(job)) }
                return
            }
        }
    }

    /// Why the follow-ups in an entry's `next` cannot be enqueued, or `nil` when they can.
    func followUpProblem(_ next: String) -> String? {
        do {
            _ = try queue.followUps(ofNext: next)
            return nil
        } catch let error as QueueError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}

extension Array where Element == String {
    func pairsValue(_ name: String) -> String? {
        var index = 0
        while index + 1 < count {
            if self[index] == name { return self[index + 1] }
            index += 2
        }
        return nil
    }
}
