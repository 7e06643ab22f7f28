import FakeWB
import FleetStore
import FleetTesting
import Foundation
import JobCatalog
import PostgresNIO
import Queue
import Testing
import Workers

/// PostgreSQL goes away in the middle of a sync.
@Suite struct WBDatabaseRestartTests {
    @Test func postgresRestartedMidSyncTheSyncRecoversWithConsistentData() async throws {
        let server = try PrivatePostgres()
        defer { server.shutdown() }
        let configuration = try server.configuration
        try await withFakeWB({
            $0.pageCap = 3
            $0.days = 6
            $0.faults = .init(slow: 1, slowDelay: .milliseconds(200))
        }) { fake, url in
            try await TestPostgres.run(configuration) { postgres in
                try await Migrator(client: postgres, logger: TestRedis.logger).migrate()
                try await TestRedis.withQueue({
                    $0.retryBackoffBase = .milliseconds(200)
                    $0.retryBackoffCap = .seconds(1)
                }) { queue in
                    let syncer = try makeSyncer(postgres: postgres, redis: queue.redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 1)
                    let job = try await queue.enqueue(try WBSyncJob.request(account: account, dataset: .orders)).id
                    try await withWorker(queue: queue, registry: FleetJobs.registry(wbSync: syncer), configuration: .testing()) { _ in
                        #expect(await eventually(timeout: .seconds(30)) { try await count(postgres, "wb_orders", account: account) >= 6 })
                        try server.stop()
                        try await Task.sleep(for: .seconds(6))
                        try server.start()
                        #expect(await eventually(timeout: .seconds(60)) { try await queue.job(job)?.state == "completed" })
                    }
                    // Whether the statement in flight failed (and the queue retried the job) or waited for the
                    // reconnection depends on timing; either way the result must be exactly WB's data.
                    #expect(try await stored(postgres, account: account, dataset: .orders) == (try expected(fake, seller: 1, dataset: .orders)))
                }
            }
        }
    }
}
