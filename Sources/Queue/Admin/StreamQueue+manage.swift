import FleetCore

extension StreamQueue {
    /// Puts the dead letter of job `id` back in its queue as attempt 1.
    /// - Returns: the new stream entry id.
    /// - Throws: ``QueueError`` `notFound` when no dead letter holds that job.
    @discardableResult
    public func retryDead(_ id: String) async throws -> String {
        let (queue, entryId) = try await locateDead(id)
        let reply = try await redis.evaluate(AdminScripts.retryDead, keys: [], arguments: [configuration.prefix, configuration.group, queue, entryId])
        guard let newEntry = reply.string else { throw QueueError(.notFound, "job \(id) has no dead letter in queue \(queue) any more") }
        return newEntry
    }

    /// Retries every dead letter of `queue`. - Returns: how many.
    public func retryAllDead(_ queue: String) async throws -> Int {
        let queue = try validQueue(queue)
        var count = 0
        while true {
            let reply = try await redis.send(RedisCommand("XRANGE", keys.dead(queue), "-", "+", "COUNT", "500"))
            let ids = reply.array?.compactMap { $0.array?.first?.string } ?? []
            if ids.isEmpty { return count }
            let replies = try await redis.evaluatePipelined(ids.map { (AdminScripts.retryDead, [], [configuration.prefix, configuration.group, queue, $0]) })
            for reply in replies { try reply.throwingError() }
            count += ids.count
        }
    }

    /// Deletes the dead letter of job `id` and its record.
    /// - Throws: ``QueueError`` `notFound` when no dead letter holds that job.
    public func deleteDead(_ id: String) async throws {
        let (queue, entryId) = try await locateDead(id)
        let replies = try await redis.pipeline([
            RedisCommand("XDEL", keys.dead(queue), entryId),
            RedisCommand("DEL", keys.record(id)),
        ])
        for reply in replies { try reply.throwingError() }
    }

    func locateDead(_ id: String) async throws -> (String, String) {
        guard JobID.isValid(id) else { throw QueueError(.invalidArgument, "\"\(id.prefix(40))\" is not a job id") }
        let record = Dictionary(try await redis.send(RedisCommand("HGETALL", keys.record(id))).pairs, uniquingKeysWith: { first, _ in first })
        if let queue = record["queue"], let entry = record["dead"], record["state"] == "dead" { return (queue, entry) }
        for queue in try await queueNames() {
            var cursor = "-"
            while true {
                let reply = try await redis.send(RedisCommand("XRANGE", keys.dead(queue), cursor, "+", "COUNT", "1000"))
                let entries = reply.array ?? []
                if entries.isEmpty { break }
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let entryId = parts[0].string else { continue }
                    if parts[1].pairs.contains(where: { $0.0 == "id" && $0.1 == id }) || entryId == id || "entry-\(entryId)" == id { return (queue, entryId) }
                }
                guard let last = entries.last?.array?.first?.string else { break }
                cursor = "(" + last
            }
        }
        throw QueueError(.notFound, "no dead letter holds job \(id); see `joycity queue dead` for what is there")
    }

    /// Stops workers from taking new jobs from `queue` (running jobs finish, prefetched ones still start). Workers
    /// hear it at once through the events channel and re-read the paused set every 250 ms in any case.
    public func pause(_ queue: String) async throws {
        let queue = try validQueue(queue)
        for reply in try await redis.pipeline([
            RedisCommand("SADD", keys.queues, queue), RedisCommand("SADD", keys.paused, queue), RedisCommand("PUBLISH", keys.events, "pause \(queue)"),
        ]) { try reply.throwingError() }
    }

    /// Lets workers take jobs from `queue` again.
    public func resume(_ queue: String) async throws {
        let queue = try validQueue(queue)
        for reply in try await redis.pipeline([RedisCommand("SREM", keys.paused, queue), RedisCommand("PUBLISH", keys.events, "resume \(queue)")]) {
            try reply.throwingError()
        }
    }

    /// How a cancellation request was taken.
    public enum CancelOutcome: String, Sendable {
        /// The job was waiting (delayed, retrying, parked) and is cancelled.
        case cancelled
        /// The job is queued or running: the worker that takes or runs it stops it (cooperatively).
        case requested
    }

    /// Cancels job `id`: at once if it waits for its time or a concurrency slot, otherwise by asking the worker.
    /// - Throws: ``QueueError`` `notFound` for an unknown job, `invalidArgument` for one that already finished.
    @discardableResult
    public func cancel(_ id: String) async throws -> CancelOutcome {
        guard let info = try await job(id) else { throw QueueError(.notFound, "no job \(id) is known (never enqueued, or its record expired)") }
        if ["completed", "dead", "cancelled"].contains(info.state) {
            throw QueueError(.invalidArgument, "job \(id) already finished (\(info.state)); nothing to cancel")
        }
        let reply = try await redis.evaluate(
            AdminScripts.cancel, keys: [], arguments: [configuration.prefix, configuration.group, id, String(configuration.completedTTL.milliseconds)])
        switch reply.string {
        case "cancelled": return .cancelled
        case "requested", "unknown": return .requested
        case let state?: throw QueueError(.invalidArgument, "job \(id) already finished (\(state)); nothing to cancel")
        case nil: throw RedisError(.protocolError, "the cancel script answered \(reply)")
        }
    }

    /// Drops every waiting and delayed job of `queue`; dead letters and counters stay.
    /// - Returns: how many waiting and delayed jobs were dropped.
    public func purge(_ queue: String) async throws -> (waiting: Int, delayed: Int) {
        let queue = try validQueue(queue)
        let reply = try await redis.evaluate(AdminScripts.purge, keys: [], arguments: [configuration.prefix, configuration.group, queue])
        let counts = reply.array?.compactMap(\.int) ?? []
        guard counts.count == 2 else { throw RedisError(.protocolError, "the purge script answered \(reply)") }
        return (counts[0], counts[1])
    }
}
