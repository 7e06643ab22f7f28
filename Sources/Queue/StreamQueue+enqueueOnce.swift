import FleetCore

/// A guard for ``StreamQueue/enqueueOnce(_:once:)``: the job is enqueued at most once per ``key`` (for ``ttl``),
/// and only while the optional fence key holds the expected value.
public struct EnqueueOnceGuard: Sendable, Equatable {
    /// The idempotency key (any Redis key; a scheduler uses schedule id + fire time). Set to the job id on enqueue.
    public var key: String
    /// How long the key is remembered; a second enqueue within it is refused as `doneBefore`.
    public var ttl: Duration
    /// A key that must hold ``fenceValue`` (for example a leader lease holding this leader's fencing token);
    /// `nil` for no fence.
    public var fenceKey: String?
    /// The value ``fenceKey`` must hold.
    public var fenceValue: String

    /// Creates a guard.
    public init(key: String, ttl: Duration, fenceKey: String? = nil, fenceValue: String = "") {
        self.key = key
        self.ttl = ttl
        self.fenceKey = fenceKey
        self.fenceValue = fenceValue
    }
}

/// What ``StreamQueue/enqueueOnce(_:once:)`` did.
public enum EnqueueOnceResult: Sendable, Equatable {
    /// The request was taken now (queued, delayed, or a duplicate/debounced hit on an existing job).
    case enqueued(EnqueueResult)
    /// The once key already existed: the job was enqueued before, with this id.
    case doneBefore(jobId: String)
    /// The fence key did not hold the expected value (for example: this process is no longer the leader).
    case fenced
}

extension StreamQueue {
    /// Enqueues one job unless ``EnqueueOnceGuard/key`` exists or the fence does not hold: the check, the enqueue and
    /// setting the key happen in one atomic step, so two callers racing for the same key (two schedulers believing
    /// they lead) enqueue exactly one job between them.
    /// - Throws: as ``enqueue(_:)``; ``QueueError`` (`invalidArgument`) for an empty key or a TTL under 1 ms.
    public func enqueueOnce(_ request: JobRequest, once: EnqueueOnceGuard) async throws -> EnqueueOnceResult {
        guard !once.key.isEmpty else { throw QueueError(.invalidArgument, "the once key must not be empty") }
        guard once.ttl >= .milliseconds(1) else { throw QueueError(.invalidArgument, "the once key's TTL must be at least 1 ms") }
        let job = try prepare(request, nowMs: clock.nowMs())
        let arguments =
            [configuration.prefix, configuration.group, scriptTime, once.fenceKey ?? "", once.fenceValue, once.key, String(once.ttl.milliseconds)]
            + job.unit
        let reply = try await redis.evaluate(QueueScripts.enqueueOnce, keys: [], arguments: arguments).throwingError()
        let outcome = reply.array ?? []
        guard outcome.count == 3, let id = outcome[0].string, let status = outcome[1].string else {
            throw RedisError(
                .protocolError,
                "the enqueue-once script answered \(reply); is another program using keys under \(configuration.prefix):?"
            )
        }
        switch status {
        case "fenced": return .fenced
        case "done-before": return .doneBefore(jobId: id)
        default:
            guard let taken = EnqueueResult.Status(rawValue: status) else {
                throw RedisError(.protocolError, "the enqueue-once script answered an unknown status \(status)")
            }
            let entry = outcome[2].string.flatMap { $0.isEmpty ? nil : $0 }
            return .enqueued(EnqueueResult(id: id, queue: job.queue, status: taken, entryId: entry))
        }
    }
}
