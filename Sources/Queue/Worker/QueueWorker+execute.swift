import Metrics
import Synchronization
import FleetCore
import Logging
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
    func execute(_ delivery: Delivery, envelope: JobEnvelope, run: JobRun, instruments: QueueMetrics.JobInstruments) async {
        // Built on first use only: setting logger metadata re-renders the handler's metadata string each time,
        // which costs more than a no-op job.
        let jobLogger = JobLogger(base: logger, jobID: envelope.id, type: envelope.type, queue: delivery.queue)
        if let entryMs = StreamQueue.entryIdParts(delivery.entryId)?.ms {
            instruments.wait.recordMilliseconds(max(0, Clock.nowMs() - Int64(entryMs)))
        }
        let context = JobContext(
            id: envelope.id, queue: delivery.queue, type: envelope.type, attempt: envelope.attempt, maxAttempts: envelope.maxAttempts,
            deliveries: delivery.deliveries, enqueuedAtMs: envelope.enqueuedAtMs, traceContext: envelope.traceContext, jobLogger: jobLogger,
            queueEngine: queue, run: run)
        let started = ContinuousClock.now
        let outcome: Outcome
        if let handler = registry.handler(for: envelope.type) {
            do {
                if !tracing {
                    // No tracer bootstrapped: skip building a span that nobody records (≈ 10 % of a no-op job).
                    try await handler(envelope.payload, context)
                } else {
                    // A consumer span per run, a child of the producer's trace when the job carries one.
                    try await withSpan(envelope.type, context: TraceCarrier.context(from: envelope.traceContext), ofKind: .consumer) { span in
                        span.attributes["job.id"] = envelope.id
                        span.attributes["job.queue"] = delivery.queue
                        span.attributes["job.attempt"] = envelope.attempt
                        try await handler(envelope.payload, context)
                    }
                }
                outcome = run.cancelReason == .leaseLost ? .abandoned : .completed
            } catch {
                outcome = classify(error, envelope: envelope, run: run)
            }
        } else {
            outcome = .dead("unknown job type '\(envelope.type)': no handler is registered in this worker (it knows \(registry.names.joined(separator: ", "))); deploy a worker that has it, then retry the dead letter")
        }
        let elapsed = ContinuousClock.now - started
        instruments.duration.recordNanoseconds(elapsed.nanoseconds)
        let key = entryKey(delivery.queue, delivery.entryId)
        let count = state.withLock { state -> Int in
            if let running = state.running.removeValue(forKey: key) {
                // Until its outcome is written the entry stays leased (heartbeats renew `acking` entries too).
                switch outcome {
                case .completed, .cancelled, .retry, .deferred, .dead: state.acking[key] = running.held
                case .abandoned: break
                }
            }
            return state.running.count
        }
        metrics.inFlight.record(count)

        switch outcome {
        case .completed, .cancelled:
            var followUps: [JobRequest] = []
            if case .completed = outcome {
                if let next = envelope.next, let decoded = try? JSONCoding.decode([JobRequest].self, from: next) { followUps = decoded }
                followUps += run.followUps
            }
            let completion = Completion(
                queue: delivery.queue, entryId: delivery.entryId, envelope: envelope,
                state: { if case .cancelled = outcome { return .cancelled } else { return .completed } }(),
                result: run.result, followUps: followUps, hasRecord: run.hasRecord)
            await acknowledge(completion)
        case .retry(let message, let at):
            var next = envelope
            next.attempt += 1
            await recordFailure(report(for: delivery, envelope: next, error: message, retryAtMs: at, attempt: envelope.attempt), logger: jobLogger.logger)
            _ = state.withLock { $0.acking.removeValue(forKey: key) }
        case .deferred(let message, let at):
            // The attempt is not spent: the envelope goes back unchanged.
            await recordFailure(report(for: delivery, envelope: envelope, error: message, retryAtMs: at), logger: jobLogger.logger)
            _ = state.withLock { $0.acking.removeValue(forKey: key) }
        case .dead(let message):
            await recordFailure(report(for: delivery, envelope: envelope, error: message, retryAtMs: nil), logger: jobLogger.logger)
            _ = state.withLock { $0.acking.removeValue(forKey: key) }
        case .abandoned:
            instruments.finished("abandoned")
            jobLogger.logger.info("job stopped without an outcome: it was handed back or reclaimed by another worker")
        }
    }

    func classify(_ error: any Error, envelope: JobEnvelope, run: JobRun) -> Outcome {
        switch run.cancelReason {
        case .requested: return .cancelled
        case .leaseLost, .shutdown: return .abandoned
        case nil: break
        }
        // The worker itself is being cancelled: the job was handed back (or will be reclaimed), record nothing.
        if error is CancellationError && Task.isCancelled { return .abandoned }
        let now = Clock.nowMs()
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

    func report(for delivery: Delivery, envelope: JobEnvelope?, error: String, retryAtMs: Int64?, attempt: Int? = nil) -> FailureReport {
        struct ErrorRecord: Encodable {
            let attempt: Int
            let at: Int64
            let error: String
            let worker: String
            let deliveries: Int
        }
        let record = ErrorRecord(
            attempt: attempt ?? envelope?.attempt ?? 1, at: Clock.nowMs(), error: String(error.prefix(4000)), worker: consumerName,
            deliveries: delivery.deliveries)
        let json = (try? JSONCoding.encode(record)) ?? #"{"error":"unencodable error"}"#
        return FailureReport(
            queue: delivery.queue, entryId: delivery.entryId, jobId: envelope?.id ?? delivery.jobId ?? "entry-\(delivery.entryId)",
            fields: envelope?.fields ?? delivery.fields.flatMap { [$0.0, $0.1] }, uniqueKey: envelope?.uniqueKey,
            concurrencyKey: envelope?.concurrencyKey, concurrencyLimit: envelope?.concurrencyLimit, errorJSON: json,
            retryAtMs: retryAtMs)
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
                case "retrying": logger.info("job failed; retrying later", metadata: ["error": "\(report.errorJSON)", "retry.at": "\(report.retryAtMs ?? 0)"])
                default: logger.info("failure not recorded: another worker reclaimed the job", metadata: ["error": "\(report.errorJSON)"])
                }
                return
            } catch {
                failures += 1
                metrics.redisError(operation: "fail")
                if failures >= 8 || (isStopRequested && failures >= 3) {
                    logger.error("could not record a job failure; the entry stays pending and will be redelivered after the lease", metadata: [
                        "error": "\(error)", "entry.id": "\(report.entryId)",
                    ])
                    return
                }
                await pause(failures: failures)
            }
        }
    }

    /// Queues a completion; the first job to find no flush in progress flushes every queued completion in batches.
    func acknowledge(_ completion: Completion) async {
        let flusher = state.withLock { state -> Bool in
            state.pendingAcks.append(completion)
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        if flusher { await flushAcks() }
    }

    /// Sends queued completions until none are left.
    func flushAcks() async {
        while true {
            let batch = state.withLock { state -> [Completion] in
                let count = min(state.pendingAcks.count, 500)
                let batch = Array(state.pendingAcks.prefix(count))
                state.pendingAcks.removeFirst(count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            var failures = 0
            while true {
                do {
                    let accepted = try await queue.complete(batch, consumer: consumerName)
                    state.withLock { state in
                        for completion in batch { state.acking.removeValue(forKey: entryKey(completion.queue, completion.entryId)) }
                        state.processed += accepted.filter { $0 }.count
                    }
                    var instruments: QueueMetrics.JobInstruments?
                    for (completion, ok) in zip(batch, accepted) {
                        // Batches are mostly one queue and type: the instruments are looked up again only when they change.
                        let current = metrics.job(queue: completion.queue, type: completion.envelope.type, reusing: instruments)
                        instruments = current
                        current.finished(ok ? completion.state.rawValue : "rejected")
                        if !ok {
                            logger.info("acknowledgement rejected: another worker reclaimed the job after this worker's lease ran out", metadata: [
                                "job.id": "\(completion.envelope.id)", "entry.id": "\(completion.entryId)",
                            ])
                        }
                    }
                    break
                } catch {
                    failures += 1
                    metrics.redisError(operation: "complete")
                    if failures >= 8 || (isStopRequested && failures >= 3) {
                        state.withLock { state in
                            for completion in batch { state.acking.removeValue(forKey: entryKey(completion.queue, completion.entryId)) }
                        }
                        logger.error("could not acknowledge finished jobs; they stay pending and will run again after the lease", metadata: [
                            "error": "\(error)", "job.ids": "\(batch.map(\.envelope.id).joined(separator: ","))",
                        ])
                        break
                    }
                    await pause(failures: failures)
                }
            }
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
