import FleetCore

extension StreamQueue {
    /// Known queue names, sorted.
    public func queueNames() async throws -> [String] {
        let reply = try await redis.send(RedisCommand("SMEMBERS", keys.queues))
        return (reply.array?.compactMap(\.string) ?? []).sorted()
    }

    /// Figures of `queue`.
    public func stats(_ queue: String) async throws -> QueueStats {
        let queue = try validQueue(queue)
        let replies = try await redis.pipeline([
            RedisCommand("XINFO", "GROUPS", keys.stream(queue)),
            RedisCommand("ZCARD", keys.delayed(queue)),
            RedisCommand("XLEN", keys.dead(queue)),
            RedisCommand("SISMEMBER", keys.paused, queue),
            RedisCommand("HGETALL", keys.stats(queue)),
            RedisCommand("XLEN", keys.stream(queue)),
        ])
        var waiting = replies[5].int ?? 0
        var pending = 0
        var lastDelivered = "0-0"
        if let groups = replies[0].array {
            for group in groups {
                let info = Dictionary(group.pairsRaw, uniquingKeysWith: { first, _ in first })
                guard info["name"]?.string == configuration.group else { continue }
                pending = info["pending"]?.int ?? 0
                lastDelivered = info["last-delivered-id"]?.string ?? "0-0"
                if let lag = info["lag"]?.int {
                    waiting = lag
                } else {
                    let rest = try await redis.send(RedisCommand("XRANGE", keys.stream(queue), "(" + lastDelivered, "+", "COUNT", "100000"))
                    waiting = rest.array?.count ?? 0
                }
            }
        }
        var lagMs: Int64 = 0
        if waiting > 0 {
            let first = try await redis.send(RedisCommand("XRANGE", keys.stream(queue), "(" + lastDelivered, "+", "COUNT", "1"))
            if let id = first.array?.first?.array?.first?.string, let ms = Int64(id.prefix { $0 != "-" }) {
                lagMs = max(0, clock.nowMs() - ms)
            }
        }
        var counters: [String: Int] = [:]
        for (name, value) in replies[4].pairs { counters[name] = Int(value) ?? 0 }
        return QueueStats(
            name: queue,
            waiting: waiting,
            pending: pending,
            delayed: replies[1].int ?? 0,
            dead: replies[2].int ?? 0,
            lagMs: lagMs,
            paused: replies[3].int == 1,
            counters: counters
        )
    }

    /// Live workers (heartbeat within `staleAfter`), by name; stale entries are removed.
    public func workers(staleAfter: Duration = .seconds(30)) async throws -> [WorkerInfo] {
        let cutoff = clock.nowMs() - staleAfter.milliseconds
        let replies = try await redis.pipeline([
            RedisCommand("ZREMRANGEBYSCORE", keys.workers, "-inf", String(cutoff)),
            RedisCommand("ZRANGE", keys.workers, "0", "-1"),
        ])
        let names = try replies[1].throwingError().array?.compactMap(\.string) ?? []
        let records = try await redis.pipeline(names.map { RedisCommand("HGETALL", keys.worker($0)) })
        var result: [WorkerInfo] = []
        for (name, record) in zip(names, records) {
            let values = Dictionary(record.pairs, uniquingKeysWith: { first, _ in first })
            guard !values.isEmpty else { continue }
            result.append(
                WorkerInfo(
                    name: name,
                    host: values["host"] ?? "",
                    pid: Int(values["pid"] ?? "") ?? 0,
                    startedMs: Int64(values["started"] ?? "") ?? 0,
                    heartbeatMs: Int64(values["heartbeat"] ?? "") ?? 0,
                    queues: (values["queues"] ?? "").split(separator: ",").map(String.init),
                    concurrency: Int(values["concurrency"] ?? "") ?? 0,
                    running: Int(values["running"] ?? "") ?? 0,
                    jobs: (values["jobs"] ?? "").split(separator: ",").map(String.init),
                    processed: Int(values["processed"] ?? "") ?? 0,
                    failed: Int(values["failed"] ?? "") ?? 0
                )
            )
        }
        return result.sorted { $0.name < $1.name }
    }

    /// What is known of job `id`: its record if it has one (delayed, retried, finished, parked, progress reported),
    /// else its done record, else its entry: for a ULID among the entries written within five minutes of the time in
    /// it (at most `scanLimit` of them per queue), for another id where the queue's id index says.
    /// - Returns: `nil` when the job is unknown (never enqueued, or its record expired).
    public func job(_ id: String, scanLimit: Int = 200_000) async throws -> JobInfo? {
        guard JobID.isValid(id) else {
            throw QueueError(.invalidArgument, "\"\(id.prefix(40))\" is not a job id (1 to 128 characters of A-Z a-z 0-9 - _ . :)")
        }
        let record = Dictionary(try await redis.send(RedisCommand("HGETALL", keys.record(id))).pairs, uniquingKeysWith: { first, _ in first })
        if let queue = record["queue"], let state = record["state"] {
            var info = JobInfo(
                id: id,
                queue: queue,
                state: state,
                type: record["type"],
                payload: record["payload"],
                attempt: record["attempt"].flatMap { Int($0) },
                maxAttempts: record["max"].flatMap { Int($0) },
                deliveries: nil,
                worker: record["worker"],
                enqueuedMs: record["enq"].flatMap { Int64($0) },
                runAtMs: record["runAt"].flatMap { Int64($0) },
                finishedMs: record["finished"].flatMap { Int64($0) },
                errors: record["errors"],
                result: record["result"],
                progress: record["progress"],
                entryId: record["entry"]
            )
            if state == "queued" {
                // Requeued from the delayed set, a parked list or the dead letters: the stream says whether it runs.
                // The record names the entry, so no scan is needed.
                if let found = try await findEntry(id, queues: [queue], scanLimit: scanLimit, entry: record["entry"]) {
                    let progress = info.progress
                    let errors = info.errors
                    info = found
                    info.progress = progress
                    info.errors = errors
                }
            }
            return info
        }
        let queues = try await queueNames()
        if let done = try await doneRecord(id, queues: queues) { return done }
        let found = try await findEntry(id, queues: queues, scanLimit: scanLimit)
        if var found, let progress = record["progress"] {
            found.progress = progress
            return found
        }
        return found
    }

    /// The record of a finished job in the done buckets of `queues` (newest bucket first). The buckets are found
    /// through each queue's index, which the workers keep, so this reader's `QUEUE_COMPLETED_TTL` does not matter;
    /// buckets of this reader's own width are looked at too (written before the index existed).
    func doneRecord(_ id: String, queues: [String]) async throws -> JobInfo? {
        let now = clock.nowMs()
        let bucketMs = doneBucketMs
        let newest = now / bucketMs
        let oldest = (now - configuration.completedTTL.milliseconds) / bucketMs - 1
        let indexes = try await redis.pipeline(queues.map { RedisCommand("ZREVRANGEBYSCORE", keys.doneBuckets($0), "+inf", String(now)) })
        for (queue, index) in zip(queues, indexes) {
            var buckets = try index.throwingError().array?.compactMap(\.string) ?? []
            let indexed = Set(buckets)
            buckets += stride(from: newest, through: oldest, by: -1).map { "\(keys.prefix):done:\(queue):\($0)" }.filter { !indexed.contains($0) }
            let replies = try await redis.pipeline(buckets.map { RedisCommand("HGET", $0, id) })
            for reply in replies {
                guard let text = reply.string, let record = DoneRecord.parse(text) else { continue }
                return JobInfo(
                    id: id,
                    queue: queue,
                    state: record.state,
                    type: record.type,
                    payload: nil,
                    attempt: record.attempt,
                    maxAttempts: nil,
                    deliveries: nil,
                    worker: record.worker,
                    enqueuedMs: JobID.timestampMs(of: id),
                    runAtMs: nil,
                    finishedMs: record.finished,
                    errors: nil,
                    result: record.result,
                    progress: nil,
                    entryId: nil
                )
            }
        }
        return nil
    }

    /// The stream entry of job `id`, never by a scan: the entry `entry` names when known (the record's); for a ULID,
    /// the entries written from the time in it on, then in the five minutes before (each read stops after
    /// `scanLimit` entries per queue); else (another id, or a ULID from a producer whose
    /// clock is off by more) the entry the queue's id index (`P:q:<queue>:ids`, kept by the enqueue script) names.
    func findEntry(_ id: String, queues: [String], scanLimit: Int, entry: String? = nil) async throws -> JobInfo? {
        if let entry, let found = try await findEntry(id, queues: queues, from: entry, to: entry, scanLimit: 1) { return found }
        if JobID.isULID(id), let ms = JobID.timestampMs(of: id) {
            // Forward from the id's time first (entries are added right after their ULID is made), then the five
            // minutes before it (a producer clock ahead of Redis's).
            if let found = try await findEntry(id, queues: queues, from: String(ms), to: String(ms + JobID.clockSkewMs), scanLimit: scanLimit) {
                return found
            }
            if let found = try await findEntry(id, queues: queues, from: String(max(0, ms - JobID.clockSkewMs)), to: String(ms), scanLimit: scanLimit)
            {
                return found
            }
        }
        let indexed = try await redis.pipeline(queues.map { RedisCommand("HGET", keys.stream($0) + ":ids", id) })
        for (queue, reply) in zip(queues, indexed) {
            guard let entry = try reply.throwingError().string else { continue }
            if let found = try await findEntry(id, queues: [queue], from: entry, to: entry, scanLimit: 1) { return found }
        }
        return nil
    }

    private func findEntry(_ id: String, queues: [String], from start: String, to end: String, scanLimit: Int) async throws -> JobInfo? {
        for queue in queues {
            var cursor = start
            var scanned = 0
            while scanned < scanLimit {
                let reply = try await redis.send(RedisCommand("XRANGE", keys.stream(queue), cursor, end, "COUNT", "1000"))
                let entries = reply.array ?? []
                if entries.isEmpty { break }
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let entryId = parts[0].string else { continue }
                    let fields = parts[1].pairs
                    guard fields.contains(where: { $0.0 == "id" && $0.1 == id }) else { continue }
                    let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
                    var info = JobInfo(
                        id: id,
                        queue: queue,
                        state: "queued",
                        type: values["type"],
                        payload: values["payload"],
                        attempt: values["attempt"].flatMap { Int($0) },
                        maxAttempts: values["max"].flatMap { Int($0) },
                        deliveries: nil,
                        worker: nil,
                        enqueuedMs: values["enq"].flatMap { Int64($0) },
                        runAtMs: nil,
                        finishedMs: nil,
                        errors: nil,
                        result: nil,
                        progress: nil,
                        entryId: entryId
                    )
                    // No consumer group yet (NOGROUP) means no worker has read the queue: the job is queued.
                    let replies = try await redis.pipeline([
                        RedisCommand("XPENDING", keys.stream(queue), configuration.group, entryId, entryId, "1"),
                        RedisCommand("XINFO", "GROUPS", keys.stream(queue)),
                    ])
                    if let row = replies[0].array?.first?.array, row.count == 4 {
                        info.state = "active"
                        info.worker = row[1].string
                        info.deliveries = row[3].int
                    } else if let last = lastDelivered(replies[1]), let entry = Self.entryIdParts(entryId), let lastParts = Self.entryIdParts(last),
                        !(lastParts < entry)
                    {
                        // Delivered and no longer pending: acknowledged. Its outcome record expired or was deleted
                        // (`queue delete`), so nothing true can be said of it any more.
                        return nil
                    }
                    return info
                }
                scanned += entries.count
                guard let last = entries.last?.array?.first?.string else { break }
                cursor = "(" + last
            }
        }
        return nil
    }

    /// The group's `last-delivered-id` in an `XINFO GROUPS` reply.
    func lastDelivered(_ reply: RedisReply) -> String? {
        for group in reply.array ?? [] {
            let info = Dictionary(group.pairsRaw, uniquingKeysWith: { first, _ in first })
            if info["name"]?.string == configuration.group { return info["last-delivered-id"]?.string }
        }
        return nil
    }

    /// The newest dead letters of `queue`, newest first.
    public func deadLetters(_ queue: String, count: Int = 50) async throws -> [DeadLetter] {
        let queue = try validQueue(queue)
        let reply = try await redis.send(RedisCommand("XREVRANGE", keys.dead(queue), "+", "-", "COUNT", String(count)))
        return (reply.array ?? []).compactMap { Self.deadLetter($0, queue: queue) }
    }

    /// Dead letters of `queue` whose type, job id or payload contains `text` (case-insensitive), newest first: the
    /// dead-letter stream is read in pages of 1,000 until `count` match or `scanLimit` letters were looked at.
    /// - Throws: ``QueueError`` `invalidArgument` for an empty or over-long text or bad bounds; ``RedisError``.
    public func searchDeadLetters(_ queue: String, text: String, count: Int = 100, scanLimit: Int = 100_000) async throws -> DeadLetterSearch {
        let queue = try validQueue(queue)
        let needle = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()).lowercased()
        guard !needle.isEmpty, needle.utf8.count <= 200 else { throw QueueError(.invalidArgument, "search for 1 to 200 bytes of text") }
        guard count >= 1, scanLimit >= 1 else { throw QueueError(.invalidArgument, "count and scanLimit must be 1 or more") }
        var found: [DeadLetter] = []
        var scanned = 0
        var end = "+"
        while found.count < count && scanned < scanLimit {
            let page = min(1_000, scanLimit - scanned)
            let reply = try await redis.send(RedisCommand("XREVRANGE", keys.dead(queue), end, "-", "COUNT", String(page)))
            let entries = reply.array ?? []
            var looked = 0
            for entry in entries {
                looked += 1
                guard let parts = entry.array, let entryId = parts.first?.string else { continue }
                end = "(" + entryId
                guard let letter = Self.deadLetter(entry, queue: queue) else { continue }
                if [letter.type, letter.jobId, letter.payload].contains(where: { $0.lowercased().contains(needle) }) {
                    found.append(letter)
                    if found.count == count { break }
                }
            }
            scanned += looked
            // The stream ended inside this page, and every entry of it was looked at.
            if entries.count < page && looked == entries.count { return DeadLetterSearch(letters: found, scanned: scanned, complete: true) }
        }
        // Stopped at `count` or `scanLimit`: complete only if nothing older is left.
        let older = try await redis.send(RedisCommand("XREVRANGE", keys.dead(queue), end, "-", "COUNT", "1")).array ?? []
        return DeadLetterSearch(letters: found, scanned: scanned, complete: older.isEmpty)
    }

    static func deadLetter(_ entry: RedisReply, queue: String) -> DeadLetter? {
        guard let parts = entry.array, parts.count == 2, let entryId = parts[0].string else { return nil }
        let values = Dictionary(parts[1].pairs, uniquingKeysWith: { first, _ in first })
        return DeadLetter(
            entryId: entryId,
            queue: queue,
            jobId: values["id"] ?? "entry-\(entryId)",
            type: values["type"] ?? "",
            payload: values["payload"] ?? "",
            failedMs: Int64(values["failed"] ?? "") ?? 0,
            errors: values["errors"] ?? "[]"
        )
    }

    /// Removes consumers that hold nothing, have been idle longer than `olderThan` and have no live heartbeat.
    public func pruneConsumers(olderThan: Duration) async throws {
        let live = Set(try await workers().map(\.name))
        for queue in try await queueNames() {
            let reply = try await redis.pipeline([RedisCommand("XINFO", "CONSUMERS", keys.stream(queue), configuration.group)])
            guard let consumers = reply[0].array else { continue }
            var deletions: [RedisCommand] = []
            for consumer in consumers {
                let info = Dictionary(consumer.pairsRaw, uniquingKeysWith: { first, _ in first })
                guard let name = info["name"]?.string, !live.contains(name), info["pending"]?.int == 0,
                    let idle = info["idle"]?.int, Int64(idle) > olderThan.milliseconds
                else { continue }
                deletions.append(RedisCommand("XGROUP", "DELCONSUMER", keys.stream(queue), configuration.group, name))
            }
            _ = try await redis.pipeline(deletions)
        }
    }
}

extension RedisReply {
    /// A flat `key value …` array as pairs whose values stay replies (XINFO answers mix types).
    var pairsRaw: [(String, RedisReply)] {
        guard let items = array else { return [] }
        var result: [(String, RedisReply)] = []
        var index = 0
        while index + 1 < items.count {
            result.append((items[index].string ?? "", items[index + 1]))
            index += 2
        }
        return result
    }
}
