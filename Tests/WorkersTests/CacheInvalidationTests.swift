import FleetTesting
import JobCatalog
import Queue
import Testing
import Workers

@Suite("cache.invalidate: drops one account's cached proxy responses and chains a KPI recompute")
struct CacheInvalidationTests {
    @Test("every cached response of the account goes (SCAN in batches), other accounts' stay; a debounced kpi.recompute follows")
    func dropsAndChains() async throws {
        try await TestRedis.withQueue { queue in
            let prefix = queue.configuration.prefix
            let mine = CacheInvalidateJob.cacheKeyPattern(prefix: prefix, account: 7).dropLast()
            let other = CacheInvalidateJob.cacheKeyPattern(prefix: prefix, account: 8).dropLast()
            var commands = (0..<1_200).map { RedisCommand("SET", "\(mine)page-\($0)", "x") }
            commands.append(RedisCommand("SET", "\(other)page-0", "x"))
            _ = try await queue.redis.pipeline(commands)
            let job = try await queue.enqueue(try CacheInvalidateJob.request(account: 7, month: "2026-12", debounceMs: 50))
            try await withWorker(queue: queue, registry: FleetJobs.registry(), configuration: .testing()) { _ in
                #expect(await eventually(timeout: .seconds(20)) { try await queue.job(job.id)?.state == "completed" })
            }
            #expect(try await queue.job(job.id)?.result?.contains("\"dropped\":1200") == true)
            let left = try await queue.redis.send(RedisCommand("EXISTS", "\(mine)page-0", "\(mine)page-1199", "\(other)page-0")).int
            #expect(left == 1)
            let delayed =
                try await queue.redis.send(RedisCommand("ZRANGE", queue.keys.delayed("default"), "0", "-1")).array?.compactMap(\.string) ?? []
            #expect(delayed.count == 1)
            let chained = try #require(try await queue.job(delayed.first ?? ""))
            #expect(chained.type == KPIRecomputeJob.type.name && chained.payload?.contains("\"month\":\"2026-12\"") == true)
        }
    }
}
