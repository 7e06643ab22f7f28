import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import JobCatalog
import PostgresNIO
import Queue
import Testing
import Workers

#if canImport(Glibc)
import Glibc
#endif

/// `joycity worker` processes syncing from the fake WB into a test database: limits across the fleet, crashes.
@Suite("WB sync in worker processes", .serialized)
struct WBProcessTests {
    static func environment(
        _ queue: StreamQueue,
        database: DatabaseConfiguration,
        fakeURL: String,
        limits: String,
        extra: [String: String] = [:]
    ) -> [String: String] {
        var env = [
            "QUEUE_PREFIX": queue.configuration.prefix, "QUEUE_LEASE": "2s", "QUEUE_RECLAIM_INTERVAL": "500ms", "QUEUE_BLOCK_TIMEOUT": "200ms",
            "METRICS_PORT": "0", "LOG_LEVEL": "info", "WORKER_CONCURRENCY": "4", "DATABASE_URL": TestPostgres.url(database),
            "WB_STATISTICS_URL": fakeURL, "WB_FINANCE_URL": fakeURL, "WB_RATE_LIMITS": limits, "JOYCITY_SECRET_KEYS": testSecretKeys,
            "WB_RETRY_BACKOFF": "100ms", "WB_SYNC_LOOKBACK": "30d",
        ]
        env.merge(extra) { _, new in new }
        return env
    }

    static func done(_ queue: StreamQueue, _ ids: [String]) async throws -> Bool {
        for id in ids where try await queue.job(id)?.state != "completed" { return false }
        return true
    }

    @Test("3 workers syncing accounts of one seller together stay inside WB's per-seller limit")
    func fleetStaysWithinLimits() async throws {
        let limit = "orders=4/1s:2"
        try await withFakeWB({
            $0.pageCap = 4
            $0.accounts = 2
            $0.limits["orders"] = .init(4, per: .seconds(1), burst: 2)
        }) { fake, url in
            try await TestPostgres.withDatabase { postgres, database in
                try await TestRedis.withQueue { queue in
                    let syncer = try makeSyncer(postgres: postgres, redis: queue.redis, baseURL: url)
                    // Three legal entities' accounts on one WB seller (three tokens, one sid) and one on another.
                    var accounts: [Int64] = []
                    for n in 1...3 {
                        accounts.append(
                            try await syncer.accounts.add(
                                name: "Entity \(n)",
                                inn: String(format: "60%08d", n),
                                token: fake.token(seller: 1),
                                sellerID: nil,
                                expiresAt: nil
                            ).id
                        )
                    }
                    accounts.append(try await addAccount(syncer, fake, seller: 2))
                    let env = Self.environment(queue, database: database, fakeURL: url, limits: limit)
                    let workers = try (1...3).map { try FleetProcess(["worker"], name: "w\($0)", environment: env) }
                    let jobs = try await queue.enqueue(try accounts.map { try WBSyncJob.request(account: $0, dataset: .orders) }).map(\.id)
                    let finished = await eventually(timeout: .seconds(90)) { try await Self.done(queue, jobs) }
                    #expect(finished, "\(workers.map(\.output).joined(separator: "\n").suffix(3000))")
                    for worker in workers { worker.send(SIGTERM) }
                    for worker in workers { #expect(await worker.waitForExit(timeout: .seconds(15)) == 0) }

                    let counters = try #require(fake.counters()["\(fake.sellerIDs[0])/orders"])
                    #expect(counters.served >= 3 * 12, "each of the three accounts paged through seller 1's orders")
                    #expect(counters.throttled <= 2, "the fleet-wide limiter kept the workers inside the limit (\(counters.throttled) 429s)")
                    // In any one second the fake served at most burst + rate requests for the seller.
                    let times = counters.servedAt.sorted()
                    var worst = 0
                    for (i, t) in times.enumerated() { worst = max(worst, times[i...].prefix { $0 < t + 1000 }.count) }
                    #expect(worst <= 2 + 4 + 1, "at most \(worst) requests in one second")
                    for account in accounts.prefix(3) {
                        #expect(try await stored(postgres, account: account, dataset: .orders) == (try expected(fake, seller: 1, dataset: .orders)))
                    }
                }
            }
        }
    }

    @Test("a worker SIGKILLed mid-sync: another finishes it with no gap and no duplicate")
    func sigkillMidSync() async throws {
        try await withFakeWB({
            $0.pageCap = 3
            $0.days = 6
            $0.faults = .init(slow: 1, slowDelay: .milliseconds(250))
        }) { fake, url in
            try await TestPostgres.withDatabase { postgres, database in
                try await TestRedis.withQueue { queue in
                    let syncer = try makeSyncer(postgres: postgres, redis: queue.redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 1)
                    let env = Self.environment(queue, database: database, fakeURL: url, limits: fastLimits)
                    let victim = try FleetProcess(["worker"], name: "victim", environment: env)
                    let job = try await queue.enqueue(try WBSyncJob.request(account: account, dataset: .orders)).id
                    // Killed with some pages stored and more to come.
                    #expect(await eventually(timeout: .seconds(30)) { try await count(postgres, "wb_orders", account: account) >= 6 })
                    victim.send(SIGKILL)
                    _ = await victim.waitForExit(timeout: .seconds(5))
                    let partial = try await count(postgres, "wb_orders", account: account)
                    #expect(partial < fake.snapshot(seller: 1, dataset: "orders").count, "the kill landed mid-sync")
                    let rescuer = try FleetProcess(["worker"], name: "rescuer", environment: env)
                    #expect(
                        await eventually(timeout: .seconds(60)) { try await queue.job(job)?.state == "completed" },
                        "\(rescuer.output.suffix(2000))"
                    )
                    #expect(try await stored(postgres, account: account, dataset: .orders) == (try expected(fake, seller: 1, dataset: .orders)))
                    #expect(try await queue.job(job)?.worker == "rescuer")
                    rescuer.send(SIGTERM)
                    #expect(await rescuer.waitForExit(timeout: .seconds(15)) == 0)
                }
            }
        }
    }
}
