import FleetCore

extension StreamQueue {
    /// Puts the dead letter of job `id` back in its queue as attempt 1.
    /// - Returns: the new stream entry id.
    /// - Throws: ``QueueError`` `notFound` when no dead letter holds that job.
    @discardableResult
    public func retryDead(_ id: String) async throws -> String {
        let (queue, entryId) = try await locateDead(id)
        let reply = try await redis.evaluate(
            AdminScripts.retryDead,
            keys: [],
            arguments: [configuration.prefix, configuration.group, scriptTime, queue, entryId]
        )
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
            let replies = try await redis.evaluatePipelined(
                ids.map { (AdminScripts.retryDead, [], [configuration.prefix, configuration.group, scriptTime, queue, $0]) }
            )
            for reply in replies { try reply.throwingError() }
            count += ids.count
        }
    }

    /// Deletes the dead letter of job `id` and its record. `id` may also be the dead letter's entry id, or an id
    /// a foreign producer gave that is not a valid job id (kept in the letter as `badid`).
    /// - Throws: ``QueueError`` `notFound` when no dead letter holds that job.
    public func deleteDead(_ id: String) async throws {
        let (queue, entryId) = try await locateDead(id)
        let letter = try await redis.send(RedisCommand("XRANGE", keys.dead(queue), entryId, entryId))
        let jobId = letter.array?.first?.array?.last?.pairs.first { $0.0 == "id" }?.1
        var commands = [RedisCommand("XDEL", keys.dead(queue), entryId)]
        for name in Set([jobId, id].compactMap { $0 }) where JobID.isValid(name) {
            // Only a record that is this dead letter's (a later run of the same id keeps its own).
            let record = try await redis.send(RedisCommand("HMGET", keys.record(name), "state", "dead")).array ?? []
            if record.count == 2, record[0].string == "dead", record[1].string == entryId { commands.append(RedisCommand("DEL", keys.record(name))) }
        }
        for reply in try await redis.pipeline(commands) { try reply.throwingError() }
    }

    func locateDead(_ id: String) async throws -> (String, String) {
        guard !id.isEmpty, id.utf8.count <= 512 else { throw QueueError(.invalidArgument, "a dead letter's id must be 1 to 512 bytes") }
        if JobID.isValid(id) {
            let record = Dictionary(try await redis.send(RedisCommand("HGETALL", keys.record(id))).pairs, uniquingKeysWith: { first, _ in first })
            if let queue = record["queue"], let entry = record["dead"], record["state"] == "dead" { return (queue, entry) }
        }
        for queue in try await queueNames() {
            var cursor = "-"
            while true {
                let reply = try await redis.send(RedisCommand("XRANGE", keys.dead(queue), cursor, "+", "COUNT", "1000"))
                let entries = reply.array ?? []
                if entries.isEmpty { break }
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let entryId = parts[0].string else { continue }
                    if parts[1].pairs.contains(where: { ($0.0 == "id" || $0.0 == "badid") && $0.1 == id }) || entryId == id {
                        return (queue, entryId)
                    }
                }
                guard let last = entries.last?.array?.first?.string else { break }
                cursor = "(" + last
            }
        }
        throw QueueError(.notFound, "no dead letter holds job \(id); see `joycity queue dead` for what is there")
    }

    /// What a pause found: which live workers of the queue confirmed it before it returned.
    public struct PauseResult: Sendable, Equatable {
        /// Live workers consuming the queue that confirmed: none of them starts a job of the queue from now on.
        public let confirmed: [String]
        /// Live workers consuming the queue that did not confirm in time (unreachable, or stopped without
        /// deregistering); each still honours the pause within 250 ms of its next fetch.
        public let unconfirmed: [String]

        /// Creates a result.
        public init(confirmed: [String], unconfirmed: [String]) {
            self.confirmed = confirmed
            self.unconfirmed = unconfirmed
        }
    }

    /// Stops workers from starting jobs of `queue`: running jobs finish; fetched ones stay held until a resume.
    ///
    /// Once this returns, no confirmed worker starts a job of the queue: every worker applies a pause under the same
    /// lock its slots take jobs under and then confirms it (`P:paused:seen`), and this waits up to `confirmWithin`
    /// for every live worker that consumes the queue.
    /// - Parameter force: pause a queue nothing was enqueued to yet (otherwise an unknown name is refused, so a typo
    ///   does not create a paused queue).
    /// - Throws: ``QueueError`` `notFound` for an unknown queue without `force`.
    @discardableResult
    public func pause(_ queue: String, force: Bool = false, confirmWithin: Duration = .seconds(5)) async throws -> PauseResult {
        let queue = try validQueue(queue)
        if !force { try await requireKnown(queue) }
        let reply = try await redis.evaluate(AdminScripts.pause, keys: [], arguments: [configuration.prefix, configuration.group, scriptTime, queue])
        guard let version = reply.int else { throw RedisError(.protocolError, "the pause script answered \(reply)") }
        let deadline = ContinuousClock.now + confirmWithin
        while true {
            let consumers = try await workers().filter { $0.queues.contains(queue) }.map(\.name)
            let seen = consumers.isEmpty ? [] : try await redis.send(RedisCommand(arguments: ["HMGET", keys.pausedSeen] + consumers)).array ?? []
            var confirmed: [String] = []
            var unconfirmed: [String] = []
            for (name, value) in zip(consumers, seen) {
                if let text = value.string, let at = Int(text), at >= version { confirmed.append(name) } else { unconfirmed.append(name) }
            }
            if unconfirmed.isEmpty || ContinuousClock.now >= deadline { return PauseResult(confirmed: confirmed, unconfirmed: unconfirmed) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Lets workers take jobs from `queue` again (held jobs start first).
    /// - Throws: ``QueueError`` `notFound` for a queue that is neither known nor paused.
    public func resume(_ queue: String) async throws {
        let queue = try validQueue(queue)
        let paused = try await redis.send(RedisCommand("SISMEMBER", keys.paused, queue)).int == 1
        if !paused { try await requireKnown(queue) }
        try await redis.evaluate(AdminScripts.resume, keys: [], arguments: [configuration.prefix, configuration.group, scriptTime, queue])
    }

    /// Throws ``QueueError`` `notFound`, naming the known queues, unless something was ever enqueued to `queue` (it
    /// is in `P:queues`): for commands that would otherwise act on a misspelt queue and report success.
    public func requireKnown(_ queue: String) async throws {
        let queue = try validQueue(queue)
        guard try await redis.send(RedisCommand("SISMEMBER", keys.queues, queue)).int != 1 else { return }
        let known = try await queueNames()
        throw QueueError(
            .notFound,
            "no queue \"\(queue)\" is known under QUEUE_PREFIX=\(configuration.prefix) (known: \(known.isEmpty ? "none yet" : known.joined(separator: ", "))); check the name"
        )
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
            AdminScripts.cancel,
            keys: [],
            arguments: [configuration.prefix, configuration.group, scriptTime, id, String(configuration.completedTTL.milliseconds)]
        )
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
        let reply = try await redis.evaluate(AdminScripts.purge, keys: [], arguments: [configuration.prefix, configuration.group, scriptTime, queue])
        let counts = reply.array?.compactMap(\.int) ?? []
        guard counts.count == 2 else { throw RedisError(.protocolError, "the purge script answered \(reply)") }
        return (counts[0], counts[1])
    }
}
