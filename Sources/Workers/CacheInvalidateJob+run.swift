import JobCatalog
import Queue

extension CacheInvalidateJob {
    struct Result: Encodable {
        let account: Int64
        let month: String
        /// Cached filtered responses dropped.
        let dropped: Int
    }

    /// Drops the proxy edge's cached filtered responses of the account (SCAN + UNLINK in batches, never KEYS), then
    /// chains a KPI recompute of the account and month, debounced, when this run succeeds.
    public static func run(_ payload: Payload, _ context: JobContext) async throws {
        let redis = context.queueEngine.redis
        let pattern = cacheKeyPattern(prefix: context.queueEngine.configuration.prefix, account: payload.account)
        var cursor = "0"
        var dropped = 0
        repeat {
            try context.checkCancellation()
            let reply = try await redis.send(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", "500")).throwingError()
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string else {
                throw RedisError(.protocolError, "SCAN answered \(reply)")
            }
            let keys = (parts[1].array ?? []).compactMap(\.string)
            if !keys.isEmpty {
                _ = try await redis.send(RedisCommand(arguments: ["UNLINK"] + keys)).throwingError()
                dropped += keys.count
            }
            cursor = next
        } while cursor != "0"
        try context.enqueueOnSuccess(KPIRecomputeJob.request(account: payload.account, month: payload.month))
        try context.setResult(Result(account: payload.account, month: payload.month, dropped: dropped))
    }
}

extension JobRegistry {
    /// Registers `cache.invalidate` (it needs Redis only, so every fleet worker runs it).
    public mutating func registerCacheInvalidation() {
        register(CacheInvalidateJob.type) { payload, context in try await CacheInvalidateJob.run(payload, context) }
    }
}
