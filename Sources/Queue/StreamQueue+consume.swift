import CHiredis
import FleetCore

extension StreamQueue {
    /// Creates the consumer group of `queue` if it does not exist (reading from the stream's start).
    public func ensureGroup(_ queue: String) async throws {
        let queue = try validQueue(queue)
        let replies = try await redis.pipeline([
            RedisCommand("XGROUP", "CREATE", keys.stream(queue), configuration.group, "0", "MKSTREAM"),
            RedisCommand("SADD", keys.queues, queue),
        ])
        if case .error(let message) = replies[0], !message.hasPrefix("BUSYGROUP") { throw RedisError(.serverError, message) }
        try replies[1].throwingError()
    }

    /// Reads up to `count` new entries without blocking, taking `queues` in order (earlier queues first), skipping
    /// paused queues and dropping cancelled jobs.
    /// - Parameter paused: the paused queues, if the caller keeps track of them (workers do, from pub/sub events and
    ///   a periodic refresh); `nil` reads them from Redis first.
    public func fetch(consumer: String, queues: [String], count: Int, paused: Set<String>? = nil) async throws -> [Delivery] {
        var skip = paused ?? []
        if paused == nil {
            skip = Set(try await redis.send(RedisCommand("SMEMBERS", keys.paused)).array?.compactMap(\.string) ?? [])
        }
        var deliveries: [Delivery] = []
        var anyCancelled = false
        for queue in queues where !skip.contains(queue) && deliveries.count < count {
            let commands = [
                RedisCommand("SCARD", keys.cancelled),
                RedisCommand(
                    "XREADGROUP",
                    "GROUP",
                    configuration.group,
                    consumer,
                    "COUNT",
                    String(count - deliveries.count),
                    "STREAMS",
                    keys.stream(queue),
                    ">"
                ),
            ]
            // The entries are read straight from hiredis' reply (the largest reply a worker reads, one per batch).
            let read = { @Sendable () async throws -> [ReadReply] in
                try await self.redis.withConnection { connection in try connection.execute(commands) { ReadReply($0) { _ in queue } } }
            }
            var replies = try await read()
            if case .error(let message) = replies[1], message.hasPrefix("NOGROUP") {
                try await ensureGroup(queue)
                replies = try await read()
            }
            if case .count(let cancelled) = replies[0], cancelled > 0 { anyCancelled = true }
            switch replies[1] {
            case .entries(let read): deliveries += read
            case .error(let message): throw RedisError(.serverError, message)
            case .count: throw RedisError(.protocolError, "XREADGROUP answered with an integer")
            }
        }
        return anyCancelled ? try await droppingCancelled(deliveries) : deliveries
    }

    /// Blocks on `connection` (a dedicated one) up to `block` for new entries of `queues`, at most `count` per queue.
    /// Cancelled jobs among them are dropped.
    public func blockingRead(
        on connection: RedisConnection,
        consumer: String,
        queues: [String],
        count: Int,
        block: Duration
    ) async throws -> [Delivery] {
        guard !queues.isEmpty else { return [] }
        var command = RedisCommand(
            "XREADGROUP",
            "GROUP",
            configuration.group,
            consumer,
            "COUNT",
            String(count),
            "BLOCK",
            String(block.milliseconds),
            "STREAMS"
        )
        command.append(contentsOf: queues.map(keys.stream))
        command.append(contentsOf: queues.map { _ in ">" })
        let timeout = block + redis.configuration.commandTimeout
        let read = command
        let prefixLength = keys.stream("").count
        let reply = try await connection.run { connection in
            try connection.execute([read], timeout: timeout) { ReadReply($0) { key in String(key.dropFirst(prefixLength)) } }[0]
        }
        switch reply {
        case .entries(let deliveries): return try await droppingCancelled(deliveries)
        case .error(let message) where message.hasPrefix("NOGROUP"):
            for queue in queues { try await ensureGroup(queue) }
            return []
        case .error(let message): throw RedisError(.serverError, message)
        case .count: throw RedisError(.protocolError, "XREADGROUP answered with an integer")
        }
    }

    /// Claims deliveries of `queue` idle for at least `minIdle` (their consumer died, handed them back, or could not
    /// reach Redis for longer than the lease), up to `count`.
    ///
    /// A claim adds one to the entry's delivery count, which fences out the earlier delivery: its acknowledgement,
    /// failure report and lease renewals are rejected from then on. Entries `consumer` holds itself and lists in
    /// `held` are never claimed, so a worker that comes back from a Redis outage keeps running (and completing) its
    /// own jobs once instead of running them a second time. Entries deleted while pending leave the pending list
    /// (Redis 7's `XCLAIM` drops them). Cancelled jobs among the claimed are dropped.
    public func reclaim(consumer: String, queue: String, minIdle: Duration, count: Int, held: Set<String> = []) async throws -> [Delivery] {
        guard count > 0 else { return [] }
        let stream = keys.stream(queue)
        let idle = String(minIdle.milliseconds)
        var candidates: [String] = []
        var start = "-"
        let page = max(count, 100)
        // Idle pending entries, oldest first, skipping this worker's own: a few pages at most per pass.
        for _ in 0..<20 {
            let reply = try await redis.pipeline([RedisCommand("XPENDING", stream, configuration.group, "IDLE", idle, start, "+", String(page))])[0]
            if case .error(let message) = reply {
                if message.hasPrefix("NOGROUP") { return [] }
                throw RedisError(.serverError, message)
            }
            let rows = reply.array ?? []
            for row in rows {
                guard let parts = row.array, parts.count == 4, let id = parts[0].string, let owner = parts[1].string else { continue }
                if owner == consumer && held.contains(id) { continue }
                candidates.append(id)
                if candidates.count == count { break }
            }
            guard candidates.count < count, rows.count == page, let last = rows.last?.array?.first?.string else { break }
            start = "(" + last
        }
        if candidates.isEmpty { return [] }
        // XCLAIM checks the idle time again, atomically: an entry renewed or claimed meanwhile is left alone.
        var command = RedisCommand("XCLAIM", stream, configuration.group, consumer, idle)
        command.append(contentsOf: candidates)
        let claimCommand = command
        let reply = try await redis.withConnection { connection in
            try connection.execute([claimCommand]) { reply -> Result<[Delivery], RedisError> in
                if reply.pointee.type == REDIS_REPLY_ERROR {
                    return .failure(RedisError(.serverError, RedisReply.text(reply.pointee.str, reply.pointee.len)))
                }
                return .success(ReadReply.deliveries(in: UnsafeMutablePointer(mutating: reply), queue: queue, deliveries: 2))
            }[0]
        }
        var claimed = try reply.get()
        if claimed.isEmpty { return [] }
        let counts = try await redis.pipeline(
            claimed.map {
                RedisCommand("XPENDING", stream, configuration.group, $0.entryId, $0.entryId, "1")
            }
        )
        for index in claimed.indices {
            if let row = counts[index].array?.first?.array, row.count == 4, let delivered = row[3].int {
                claimed[index].deliveries = delivered
            }
        }
        return try await droppingCancelled(claimed)
    }

    /// The two numbers of a stream entry id (`ms-seq`), read from its bytes (the worker does this for every job).
    static func entryIdParts(_ id: String) -> (ms: UInt64, seq: UInt64)? {
        var ms: UInt64 = 0
        var seq: UInt64 = 0
        var dashSeen = false
        var digits = 0
        for byte in id.utf8 {
            if byte == UInt8(ascii: "-") {
                if dashSeen || digits == 0 { return nil }
                dashSeen = true
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 19 else { return nil }
            digits += 1
            if dashSeen { seq = seq * 10 + UInt64(byte - UInt8(ascii: "0")) } else { ms = ms * 10 + UInt64(byte - UInt8(ascii: "0")) }
        }
        return dashSeen && digits > 0 ? (ms, seq) : nil
    }

    /// Width of a done bucket: records of completed jobs are kept between ``Configuration/completedTTL`` and that
    /// plus one bucket.
    var doneBucketMs: Int64 { max(1000, configuration.completedTTL.milliseconds / 120) }

    /// Records failed runs: each goes back to the delayed set for a retry or to the dead-letter stream.
    /// - Returns: per report, `retrying`, `dead` or `rejected` (lost to a reclaim).
    package func fail(_ reports: [FailureReport], consumer: String) async throws -> [String] {
        if reports.isEmpty { return [] }
        var arguments = [
            configuration.prefix, configuration.group, scriptTime, consumer, String(configuration.deadTTL.milliseconds),
            String(configuration.deadMaxLength),
            String(reports.count),
        ]
        for report in reports {
            arguments += [
                report.queue, report.entryId, String(report.deliveries), report.jobId, report.uniqueKey ?? "", report.concurrencyKey ?? "",
                String(report.concurrencyLimit ?? 1), report.errorJSON, report.retryAtMs == nil ? "0" : "1",
                String(report.retryAtMs ?? 0), String(report.fields.count),
            ]
            arguments += report.fields
        }
        let reply = try await redis.evaluate(QueueScripts.fail, keys: [], arguments: arguments)
        let outcomes = reply.array?.compactMap(\.string) ?? []
        guard outcomes.count == reports.count else { throw RedisError(.protocolError, "the fail script answered \(reply)") }
        return outcomes
    }

    /// Renews the lease of entries this consumer holds. - Returns: the entry ids it no longer owns.
    package func extend(_ held: [HeldEntry], consumer: String, lease: Duration) async throws -> Set<String> {
        if held.isEmpty { return [] }
        var arguments = [configuration.prefix, configuration.group, scriptTime, consumer, String(lease.milliseconds), String(held.count)]
        for entry in held { arguments += [entry.queue, entry.entryId, String(entry.deliveries), entry.jobId, entry.concurrencyKey ?? ""] }
        let reply = try await redis.evaluate(QueueScripts.extend, keys: [], arguments: arguments)
        return Set(reply.array?.compactMap(\.string) ?? [])
    }

    /// Hands entries back for immediate reclaim by another worker (graceful shutdown). - Returns: how many.
    @discardableResult
    package func handBack(_ held: [HeldEntry], consumer: String, idle: Duration) async throws -> Int {
        if held.isEmpty { return 0 }
        var arguments = [configuration.prefix, configuration.group, scriptTime, consumer, String(idle.milliseconds), String(held.count)]
        for entry in held {
            arguments += [
                entry.queue, entry.entryId, String(entry.deliveries), entry.jobId, entry.concurrencyKey ?? "", String(entry.concurrencyLimit ?? 1),
            ]
        }
        let reply = try await redis.evaluate(QueueScripts.handBack, keys: [], arguments: arguments)
        var publish = Set(held.map(\.queue)).map { RedisCommand("PUBLISH", keys.events, "reclaim \($0)") }
        publish.sort { $0.arguments[2] < $1.arguments[2] }
        _ = try await redis.pipeline(publish)
        return reply.int ?? 0
    }

    /// Takes a fleet-wide concurrency slot for each delivery that has a concurrency key, or parks it until one frees.
    /// - Returns: per delivery, whether it may run now.
    package func acquireSlots(_ deliveries: [(Delivery, JobEnvelope)], consumer: String, lease: Duration) async throws -> [Bool] {
        if deliveries.isEmpty { return [] }
        var arguments = [configuration.prefix, configuration.group, scriptTime, consumer, String(lease.milliseconds), String(deliveries.count)]
        for (delivery, envelope) in deliveries {
            let fields = envelope.fields
            arguments += [
                delivery.queue, delivery.entryId, String(delivery.deliveries), envelope.id, envelope.concurrencyKey ?? "",
                String(envelope.concurrencyLimit ?? 1),
                String(fields.count),
            ]
            arguments += fields
        }
        let reply = try await redis.evaluate(QueueScripts.acquire, keys: [], arguments: arguments)
        let flags = reply.array?.map { $0.int == 1 } ?? []
        guard flags.count == deliveries.count else { throw RedisError(.protocolError, "the acquire script answered \(reply)") }
        return flags
    }

    /// Moves due delayed and retrying jobs of `queue` into its stream.
    /// - Returns: how many moved, and when the next one is due (ms since the epoch), if any.
    public func promoteDue(queue: String, limit: Int = 500) async throws -> (moved: Int, nextDueMs: Int64?) {
        let reply = try await redis.evaluate(
            QueueScripts.promote,
            keys: [],
            arguments: [configuration.prefix, configuration.group, scriptTime, queue, String(limit)]
        )
        guard let parts = reply.array, parts.count == 2, let moved = parts[0].int, let next = parts[1].int else {
            throw RedisError(.protocolError, "the promote script answered \(reply)")
        }
        return (moved, next < 0 ? nil : Int64(next))
    }

    /// Frees expired concurrency slots, unparks jobs whose key has room, and trims acknowledged entries off every
    /// queue stream. Safe to run from every worker. - Returns: how many jobs were unparked.
    @discardableResult
    public func maintain() async throws -> Int {
        try await redis.evaluate(QueueScripts.maintain, keys: [], arguments: [configuration.prefix, configuration.group, scriptTime]).int ?? 0
    }

    // MARK: - Helpers

    /// A reply of a read, taken straight from hiredis' reply tree (no ``RedisReply`` tree: these are the largest
    /// replies a worker reads): an integer (the fetch pipeline's `SCARD`), the entries of every stream an
    /// `XREADGROUP` read as deliveries (null: none), or an error.
    enum ReadReply: Sendable {
        case count(Int)
        case entries([Delivery])
        case error(String)

        /// - Parameter queueOf: the queue of a stream key.
        init(_ reply: UnsafePointer<redisReply>, queueOf: (String) -> String) {
            let r = reply.pointee
            switch r.type {
            case REDIS_REPLY_INTEGER: self = .count(Int(r.integer))
            case REDIS_REPLY_ERROR: self = .error(RedisReply.text(r.str, r.len))
            default:
                // [[stream key, entries], …]
                var deliveries: [Delivery] = []
                for stream in Self.elements(reply) {
                    let parts = Self.elements(stream)
                    guard parts.count == 2, let key = Self.string(parts[0]) else { continue }
                    deliveries += Self.deliveries(in: parts[1], queue: queueOf(key), deliveries: 1)
                }
                self = .entries(deliveries)
            }
        }

        /// Stream entries (`[[id, [field, value, …]], …]`) as deliveries; entries without an id are skipped.
        static func deliveries(in list: UnsafeMutablePointer<redisReply>?, queue: String, deliveries: Int) -> [Delivery] {
            let entries = elements(list)
            var result: [Delivery] = []
            result.reserveCapacity(entries.count)
            for entry in entries {
                let parts = elements(entry)
                guard parts.count == 2, let id = string(parts[0]) else { continue }
                let values = elements(parts[1])
                // Read in place: the pairs become an array only if the entry is not a valid job.
                let fields = (0..<values.count / 2).lazy.map { pair in (string(values[2 * pair]) ?? "", string(values[2 * pair + 1]) ?? "") }
                result.append(Delivery(queue: queue, entryId: id, fields: fields, deliveries: deliveries))
            }
            return result
        }

        /// The elements of an array reply; none for other kinds.
        static func elements(_ reply: UnsafePointer<redisReply>?) -> UnsafeBufferPointer<UnsafeMutablePointer<redisReply>?> {
            guard let reply, reply.pointee.type == REDIS_REPLY_ARRAY, let elements = reply.pointee.element else {
                return UnsafeBufferPointer(start: nil, count: 0)
            }
            return UnsafeBufferPointer(start: elements, count: reply.pointee.elements)
        }

        static func elements(_ reply: UnsafeMutablePointer<redisReply>?) -> UnsafeBufferPointer<UnsafeMutablePointer<redisReply>?> {
            elements(reply.map { UnsafePointer($0) })
        }

        /// A string or status reply's text; `nil` for other kinds.
        static func string(_ reply: UnsafeMutablePointer<redisReply>?) -> String? {
            guard let reply, reply.pointee.type == REDIS_REPLY_STRING || reply.pointee.type == REDIS_REPLY_STATUS else { return nil }
            return RedisReply.text(reply.pointee.str, reply.pointee.len)
        }
    }

    func droppingCancelled(_ deliveries: [Delivery]) async throws -> [Delivery] {
        if deliveries.isEmpty { return deliveries }
        var dropped: Set<String> = []
        for (queue, group) in Dictionary(grouping: deliveries, by: \.queue) {
            let reply = try await redis.evaluate(
                QueueScripts.dropCancelled,
                keys: [],
                arguments: [configuration.prefix, configuration.group, scriptTime, String(configuration.completedTTL.milliseconds), queue]
                    + group.map(\.entryId)
            )
            for id in reply.array?.compactMap(\.string) ?? [] { dropped.insert("\(queue)\u{0}\(id)") }
        }
        if dropped.isEmpty { return deliveries }
        return deliveries.filter { !dropped.contains("\($0.queue)\u{0}\($0.entryId)") }
    }
}
