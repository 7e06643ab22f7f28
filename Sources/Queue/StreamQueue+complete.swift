import FleetCore

extension StreamQueue {
    /// Acknowledges finished jobs, records them, releases their unique keys and concurrency slots and enqueues
    /// their follow-ups, all in one script call. Fenced: a job this consumer no longer owns is rejected.
    /// - Returns: per completion, whether it was accepted.
    /// Fencing internals: the worker runtime calls this (package access: the package's tests and tools may too).
    package func complete(_ completions: [Completion], consumer: String) async throws -> [Bool] {
        if completions.isEmpty { return [] }
        let now = clock.nowMs()
        var byQueue: [String: [Int]] = [:]
        for (index, completion) in completions.enumerated() { byQueue[completion.queue, default: []].append(index) }
        var calls: [(RedisScript, [String], [String])] = []
        var orders: [[Int]] = []
        for queue in byQueue.keys.sorted() {
            let (arguments, order) = try completeArguments(
                queue: queue,
                completions: completions,
                indexes: byQueue[queue]!,
                consumer: consumer,
                now: now
            )
            calls.append((QueueScripts.complete, [], arguments))
            orders.append(order)
        }
        let replies = try await redis.evaluatePipelined(calls)
        var flags = [Bool](repeating: false, count: completions.count)
        for (order, reply) in zip(orders, replies) {
            let answers = try reply.throwingError().array?.map { $0.int == 1 } ?? []
            guard answers.count == order.count else { throw RedisError(.protocolError, "the complete script answered \(reply)") }
            for (index, answer) in zip(order, answers) { flags[index] = answer }
        }
        return flags
    }

    /// The `complete` script's arguments for the completions at `indexes` (all of `queue`), and those indexes in the
    /// order the script answers them: plain jobs first, grouped by their done record, as `entryId jobId` pairs; the
    /// others in full after them.
    private func completeArguments(
        queue: String,
        completions: [Completion],
        indexes: [Int],
        consumer: String,
        now: Int64
    ) throws -> (arguments: [String], order: [Int]) {
        let quotedWorker = JSONString.quoted(consumer)
        var (lastType, quotedType) = ("", "")
        func record(of completion: Completion) -> String {
            let envelope = completion.envelope
            if envelope.type != lastType { (lastType, quotedType) = (envelope.type, JSONString.quoted(envelope.type)) }
            return DoneRecord.json(
                state: completion.state.rawValue,
                finished: now,
                attempt: envelope.attempt,
                quotedWorker: quotedWorker,
                quotedType: quotedType,
                result: completion.result.isEmpty ? nil : completion.result
            )
        }
        var groups: [(record: String, deliveries: Int, indexes: [Int])] = []
        var groupOf: [RecordKey: Int] = [:]
        var lastGroup: (key: RecordKey, group: Int)?
        var full: [Int] = []
        for index in indexes {
            let completion = completions[index]
            guard completion.isPlain else {
                full.append(index)
                continue
            }
            // Batches are mostly one type, first attempts, no result: one group, found without hashing.
            let key = RecordKey(
                type: completion.envelope.type,
                attempt: completion.envelope.attempt,
                result: completion.result,
                deliveries: completion.deliveries
            )
            if let last = lastGroup, last.key == key {
                groups[last.group].indexes.append(index)
            } else if let group = groupOf[key] {
                groups[group].indexes.append(index)
                lastGroup = (key, group)
            } else {
                groupOf[key] = groups.count
                lastGroup = (key, groups.count)
                groups.append((record(of: completion), completion.deliveries, [index]))
            }
        }
        let (lowest, highest) = Self.entryIdRange(indexes.map { completions[$0].entryId })
        var arguments = [
            configuration.prefix, configuration.group, scriptTime, consumer, String(configuration.completedTTL.milliseconds), String(doneBucketMs),
            queue,
            lowest, highest, String(groups.count),
        ]
        arguments.reserveCapacity(arguments.count + groups.count * 3 + (indexes.count - full.count) * 2 + full.count * 5)
        var order: [Int] = []
        order.reserveCapacity(indexes.count)
        for group in groups {
            arguments += [group.record, String(group.deliveries), String(group.indexes.count)]
            for index in group.indexes {
                arguments.append(completions[index].entryId)
                arguments.append(completions[index].envelope.id)
                order.append(index)
            }
        }
        for index in full {
            let completion = completions[index]
            let envelope = completion.envelope
            let followUps = completion.state == .completed ? completion.followUps : []
            let extra = [
                envelope.uniqueKey ?? "", envelope.concurrencyKey ?? "", String(envelope.concurrencyLimit ?? 1), completion.hasRecord ? "1" : "0",
                completion.state.rawValue, completion.result, String(envelope.attempt), String(completion.deliveries),
            ].joined(separator: "\u{1F}")
            arguments += [completion.entryId, envelope.id, record(of: completion), extra, String(followUps.count)]
            for followUp in followUps { arguments += try prepare(followUp, nowMs: now).unit }
            order.append(index)
        }
        return (arguments, order)
    }

    /// The lowest and highest of `ids` (stream entry ids), for the script's one `XPENDING` over them. Ids come from
    /// Redis; should one not parse, the whole stream (`-`, `+`).
    static func entryIdRange(_ ids: [String]) -> (lowest: String, highest: String) {
        guard var lowest = ids.first, var low = entryIdParts(lowest) else { return ("-", "+") }
        var (highest, high) = (lowest, low)
        for id in ids.dropFirst() {
            guard let parts = entryIdParts(id) else { return ("-", "+") }
            if parts < low { (lowest, low) = (id, parts) }
            if high < parts { (highest, high) = (id, parts) }
        }
        return (lowest, highest)
    }

    /// What tells two plain completions' groups apart: their done records (state, worker and finish time are the
    /// batch's) and their fences.
    private struct RecordKey: Hashable {
        let type: String
        let attempt: Int
        let result: String
        let deliveries: Int
    }
}
