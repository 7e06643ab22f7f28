import FleetCore
import FleetStore
import FleetTesting
import Foundation
import JobCatalog
import Queue
import Scheduler
import Testing
import Workers

/// The fleet's built-in schedules and the per-account ones from the accounts table.
@Suite("Fleet schedules", .serialized)
struct FleetSchedulesTests {
    @Test("per-account syncs follow the accounts table: enabled with a usable token, own interval or the default")
    func accountSchedules() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            let secrets = try SecretBox(environment: EnvironmentReader(values: ["JOYCITY_SECRET_KEYS": testSecretKeys]))
            let accounts = AccountStore(client: postgres, secrets: secrets, logger: TestRedis.logger)
            let fast = try await accounts.add(name: "Fast", inn: "7700000001", token: "t1", sellerID: nil, expiresAt: nil)
            let plain = try await accounts.add(name: "Plain", inn: "7700000002", token: "t2", sellerID: nil, expiresAt: nil)
            let off = try await accounts.add(name: "Off", inn: "7700000003", token: "t3", sellerID: nil, expiresAt: nil)
            let refused = try await accounts.add(name: "Refused", inn: "7700000004", token: "t4", sellerID: nil, expiresAt: nil)
            _ = try await accounts.add(name: "No token", inn: "7700000005", token: nil, sellerID: nil, expiresAt: nil)
            try await accounts.setSyncInterval(id: fast.id, seconds: 300)
            try await accounts.setSyncEnabled(id: off.id, false)
            try await accounts.markTokenInvalid(id: refused.id, detail: "401")
            await #expect(throws: StoreError.self) { try await accounts.setSyncInterval(id: fast.id, seconds: 10) }

            let source = FleetSchedules.AccountSchedules(
                accounts: accounts,
                configuration: .init(syncInterval: .seconds(1800), reportSyncInterval: .seconds(21_600)),
                zone: TimeZone(identifier: "Europe/Moscow")!
            )
            let schedules = try await source.schedules()
            #expect(
                Set(schedules.map(\.id))
                    == Set(
                        [fast.id, plain.id].flatMap { id in
                            ["wb.sync:\(id):orders", "wb.sync:\(id):sales", "wb.sync:\(id):report", "wb.sync:\(id):report-deep", "kpi.nightly:\(id)"]
                        }
                    )
            )
            func period(_ id: String) -> Duration? {
                guard case .interval(let period, let phase) = schedules.first(where: { $0.id == id })?.spec else { return nil }
                #expect(phase < period)
                return period
            }
            #expect(period("wb.sync:\(fast.id):orders") == .seconds(300))
            #expect(period("wb.sync:\(fast.id):report") == .seconds(21_600))
            #expect(period("wb.sync:\(plain.id):sales") == .seconds(1800))
            let sync = try #require(schedules.first { $0.id == "wb.sync:\(plain.id):orders" })
            #expect(sync.job.type == "wb.sync")
            #expect(sync.job.options.uniqueKey == "wb.sync:\(plain.id):orders")
            #expect(try await accounts.account(id: fast.id).syncIntervalSeconds == 300)
            // The daily deep re-read: its own unique key, the report's concurrency key, never fired just for being new.
            #expect(period("wb.sync:\(plain.id):report-deep") == .seconds(86400))
            let deep = try #require(schedules.first { $0.id == "wb.sync:\(plain.id):report-deep" })
            #expect(deep.job.payload.contains(#""deep":true"#) && !deep.firesWhenNew)
            #expect(
                deep.job.options.uniqueKey == "wb.sync:\(plain.id):report:deep" && deep.job.options.concurrencyKey == "wb.sync:\(plain.id):report"
            )
        }
    }

    @Test("built-ins: nightly backup (unique) and queue maintenance; maintenance runs and reports")
    func builtins() async throws {
        let schedules = try FleetSchedules.builtin(zone: TimeZone(identifier: "Europe/Moscow")!)
        #expect(schedules.map(\.id) == ["backup.nightly", "queue.maintenance"])
        #expect(schedules[0].job.type == "backup.run")
        #expect(schedules[0].job.options.uniqueKey == BackupJob.uniqueKey)
        try await TestRedis.withQueue { queue in
            try await queue.enqueue(JobRequest(type: "queue.noop", payload: "{}", queue: "q1"))
            try await queue.redis.send(RedisCommand("XADD", queue.keys.dead("q1"), "1-1", "id", "ancient"))
            let report = try await MaintenanceJob.run(on: queue)
            #expect(report.queues == 1)
            #expect(report.deadTrimmed == 1)
        }
    }
}
