import FleetCore

/// What happened to one enqueue request.
public struct EnqueueResult: Sendable, Equatable {
    /// How the request was taken.
    public enum Status: String, Sendable {
        /// Added to the stream; it runs as soon as a worker is free.
        case queued
        /// Waiting in the delayed set until its time.
        case delayed
        /// A job with the same unique key is queued or running; ``EnqueueResult/id`` is that job's.
        case duplicate
        /// Coalesced into a job with the same debounce key that was still waiting; ``EnqueueResult/id`` is that job's.
        case debounced
    }
    /// The job's id (or, for duplicate and debounced, the existing job's id).
    public let id: String
    /// The queue.
    public let queue: String
    /// How it was taken.
    public let status: Status
    /// The stream entry id when ``status`` is queued.
    public let entryId: String?
}

extension StreamQueue {
    /// Enqueues one job.
    /// - Throws: ``QueueError`` (`invalidArgument`) for a bad queue name, id, payload or option; ``RedisError`` when
    ///   Redis fails (the job may or may not have been added; enqueue again with the same unique key to be sure).
    @discardableResult
    public func enqueue(_ request: JobRequest) async throws -> EnqueueResult {
        try await enqueue([request])[0]
    }

    /// Enqueues a typed job.
    @discardableResult
    public func enqueue<Payload>(
        _ type: JobType<Payload>,
        _ payload: Payload,
        queue: String? = nil,
        options: JobOptions = JobOptions()
    ) async throws -> EnqueueResult {
        try await enqueue(JobRequest(type, payload, queue: queue, options: options))
    }

    /// Enqueues many jobs in pipelined round trips (at most `chunkSize` commands each), in order.
    /// - Throws: as ``enqueue(_:)``; requests are all checked before any is sent.
    public func enqueue(_ requests: [JobRequest], chunkSize: Int = 1000) async throws -> [EnqueueResult] {
        let now = clock.nowMs()
        let prepared = try requests.map { try prepare($0, nowMs: now) }
        var results = [EnqueueResult?](repeating: nil, count: prepared.count)
        var start = 0
        while start < prepared.count {
            let end = min(prepared.count, start + chunkSize)
            let slice = prepared[start..<end]
            var commands: [RedisCommand] = []
            var plainIndexes: [Int] = []
            var scripted: [Int] = []
            var counts: [String: Int] = [:]
            for (offset, job) in zip(slice.indices, slice) {
                if job.isPlain {
                    var command = RedisCommand("XADD", keys.stream(job.queue), "*")
                    command.append(contentsOf: job.envelope.fields)
                    commands.append(command)
                    plainIndexes.append(offset)
                    counts[job.queue, default: 0] += 1
                } else {
                    scripted.append(offset)
                }
            }
            for (queue, count) in counts.sorted(by: { $0.key < $1.key }) {
                commands.append(RedisCommand("SADD", keys.queues, queue))
                commands.append(RedisCommand("HINCRBY", keys.stats(queue), "enqueued", String(count)))
            }
            if !scripted.isEmpty {
                var arguments = [configuration.prefix, configuration.group, scriptTime, String(scripted.count)]
                for index in scripted { arguments += prepared[index].unit }
                commands.append(QueueScripts.enqueue.command(keys: [], arguments: arguments))
            }
            var replies = try await redis.pipeline(commands)
            if !scripted.isEmpty, replies[replies.count - 1].isNoScript {
                var arguments = [configuration.prefix, configuration.group, scriptTime, String(scripted.count)]
                for index in scripted { arguments += prepared[index].unit }
                replies[replies.count - 1] = try await redis.evaluate(QueueScripts.enqueue, keys: [], arguments: arguments)
            }
            for (position, index) in plainIndexes.enumerated() {
                let reply = try replies[position].throwingError()
                results[index] = EnqueueResult(id: prepared[index].envelope.id, queue: prepared[index].queue, status: .queued, entryId: reply.string)
            }
            for reply in replies[plainIndexes.count..<(replies.count - (scripted.isEmpty ? 0 : 1))] { try reply.throwingError() }
            if !scripted.isEmpty {
                let outcomes = try replies[replies.count - 1].throwingError().array ?? []
                for (position, index) in scripted.enumerated() {
                    let outcome = position < outcomes.count ? outcomes[position].array ?? [] : []
                    guard outcome.count == 3, let id = outcome[0].string, let status = outcome[1].string.flatMap(EnqueueResult.Status.init(rawValue:))
                    else {
                        throw RedisError(
                            .protocolError,
                            "the enqueue script answered \(outcome); is another program using keys under \(configuration.prefix):?"
                        )
                    }
                    let entry = outcome[2].string.flatMap { $0.isEmpty ? nil : $0 }
                    results[index] = EnqueueResult(id: id, queue: prepared[index].queue, status: status, entryId: entry)
                }
            }
            start = end
        }
        return results.map { $0! }
    }

    struct PreparedJob {
        var queue: String
        var envelope: JobEnvelope
        var runAtMs: Int64
        var uniqueKey: String
        var uniqueTTLms: Int64
        var debounceKey: String
        /// A job that goes out as a bare `XADD`: no delay, unique key or debounce, and an id `queue job` finds by its
        /// time (a ULID within 5 minutes of now). Any other goes through the script, which indexes its id.
        var isPlain: Bool {
            guard runAtMs == 0, uniqueKey.isEmpty, debounceKey.isEmpty, JobID.isULID(envelope.id), let ms = JobID.timestampMs(of: envelope.id) else {
                return false
            }
            return abs(ms - envelope.enqueuedAtMs) <= JobID.clockSkewMs
        }
        /// The script's job unit: queue, id, runAt, unique, uniqueTTL, debounce, fieldCount, fields….
        var unit: [String] {
            let fields = envelope.fields
            return [queue, envelope.id, String(runAtMs), uniqueKey, String(uniqueTTLms), debounceKey, String(fields.count)] + fields
        }
    }

    /// The follow-ups of an entry's `next` field, each checked as ``enqueue(_:)`` would check it.
    /// - Throws: ``QueueError`` `malformedEntry` saying which follow-up is wrong and why.
    public func followUps(ofNext next: String) throws -> [JobRequest] {
        let requests: [JobRequest]
        do {
            requests = try JSONCoding.decode([JobRequest].self, from: next)
        } catch let error as DecodingError {
            throw QueueError(
                .malformedEntry,
                "field 'next' is not a JSON array of job requests ({type, payload[, queue, id, options]}): \(JSONCoding.describe(error, whole: "the value"))"
            )
        } catch {
            throw QueueError(.malformedEntry, "field 'next' is not JSON: \(error)")
        }
        let now = clock.nowMs()
        for (index, request) in requests.enumerated() {
            do {
                _ = try prepare(request, nowMs: now)
            } catch let error as QueueError {
                throw QueueError(.malformedEntry, "field 'next' holds an invalid follow-up (\(index + 1) of \(requests.count)): \(error.message)")
            }
        }
        return requests
    }

    func prepare(_ request: JobRequest, nowMs: Int64) throws -> PreparedJob {
        let queue = try validQueue(request.queue)
        let options = request.options
        func invalid(_ message: String) -> QueueError { QueueError(.invalidArgument, "job \(request.type): \(message)") }
        guard !request.type.isEmpty, request.type.utf8.count <= 200 else { throw invalid("the type name must be 1 to 200 characters") }
        let id = request.id ?? JobID.make(nowMs: nowMs)
        guard JobID.isValid(id) else { throw invalid("id \"\(id.prefix(40))\" must be 1 to 128 characters of A-Z a-z 0-9 - _ . :") }
        guard request.payloadIsEncoded || JSONCoding.isValid(request.payload) else { throw invalid("the payload is not valid JSON") }
        if let delay = options.delayMs, delay < 0 { throw invalid("the delay must not be negative") }
        if let ttl = options.uniqueTTLms, ttl < 1 {
            throw invalid("uniqueTTL must be 1 ms or more (it is how long a unique or debounce key is held at most)")
        }
        let maxAttempts = options.maxAttempts ?? configuration.maxAttempts
        guard maxAttempts >= 1 else { throw invalid("maxAttempts must be 1 or more") }
        if let limit = options.concurrencyLimit, limit < 1 { throw invalid("the concurrency limit must be 1 or more") }
        if options.concurrencyLimit != nil && options.concurrencyKey == nil { throw invalid("a concurrency limit needs a concurrency key") }
        for (name, key) in [("unique", options.uniqueKey), ("debounce", options.debounceKey), ("concurrency", options.concurrencyKey)] {
            if let key, key.isEmpty || key.utf8.count > 512 || key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw invalid("the \(name) key must be 1 to 512 characters without control characters")
            }
        }
        var runAt: Int64 = 0
        if let at = options.runAtMs, at > nowMs { runAt = at } else if let delay = options.delayMs, delay > 0 { runAt = nowMs + delay }
        if options.debounceKey != nil && runAt == 0 {
            throw invalid("debouncing needs a delay: the job runs that long after the last enqueue with its key")
        }
        var next: String?
        if let followUps = options.next, !followUps.isEmpty {
            for followUp in followUps { _ = try prepare(followUp, nowMs: nowMs) }
            next = try JSONCoding.encode(followUps)
        }
        let envelope = JobEnvelope(
            id: id,
            type: request.type,
            payload: request.payload,
            attempt: 1,
            maxAttempts: maxAttempts,
            enqueuedAtMs: nowMs,
            uniqueKey: options.uniqueKey,
            concurrencyKey: options.concurrencyKey,
            concurrencyLimit: options.concurrencyKey == nil ? nil : (options.concurrencyLimit ?? 1),
            traceContext: options.traceContext ?? TraceCarrier.current(),
            next: next
        )
        return PreparedJob(
            queue: queue,
            envelope: envelope,
            runAtMs: runAt,
            uniqueKey: options.uniqueKey ?? "",
            uniqueTTLms: options.uniqueTTLms ?? configuration.uniqueTTL.milliseconds,
            debounceKey: options.debounceKey ?? ""
        )
    }
}
