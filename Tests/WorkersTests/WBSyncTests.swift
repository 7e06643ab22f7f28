import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import JobCatalog
import KPI
import PostgresNIO
import Queue
import Testing
import WBKit
import Workers

/// The WB sync against real PostgreSQL, real Redis and the fake WB over HTTP.
@Suite struct WBSyncTests {
    @Test func ordersAndSalesSyncIncrementallyWithChangingDataAcrossSmallPages() async throws {
        try await withFakeWB({ $0.pageCap = 7 }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 1)
                    let other = try await addAccount(syncer, fake, seller: 2)
                    let first = try await syncer.sync(account: account, dataset: .orders, context: nil)
                    #expect(first.state == "succeeded")
                    #expect(first.pages > 5, "48 orders at 7 per page take several pages")
                    #expect(try await stored(postgres, account: account, dataset: .orders) == (try expected(fake, seller: 1, dataset: .orders)))

                    // Orders change (cancelled: they reappear with a newer lastChangeDate) and new ones arrive.
                    let cancelled = fake.cancelOrders(seller: 1, count: 4)
                    fake.addOrders(seller: 1, count: 9)
                    let second = try await syncer.sync(account: account, dataset: .orders, context: nil)
                    #expect(second.state == "succeeded")
                    #expect(second.written == 13, "only the changed and new orders are written")
                    let rows = try await stored(postgres, account: account, dataset: .orders)
                    #expect(rows == (try expected(fake, seller: 1, dataset: .orders)))
                    for srid in cancelled { #expect(rows[srid]?["isCancel"] as? Bool == true) }
                    #expect(try await count(postgres, "wb_orders", account: account) == fake.snapshot(seller: 1, dataset: "orders").count)

                    // A sync with nothing new ends after one page that moves nothing.
                    let idle = try await syncer.sync(account: account, dataset: .orders, context: nil)
                    #expect(idle.pages <= 1 && idle.written == 0)

                    let sales = try await syncer.sync(account: account, dataset: .sales, context: nil)
                    #expect(sales.state == "succeeded")
                    #expect(try await stored(postgres, account: account, dataset: .sales) == (try expected(fake, seller: 1, dataset: .sales)))
                    #expect(try await count(postgres, "wb_orders", account: other) == 0, "another seller's data stays out")
                    let runs = try await postgres.query("SELECT count(*) FROM wb_sync_runs WHERE state = 'succeeded' AND rows > 0").decode(Int.self)
                    for try await n in runs { #expect(n >= 3) }
                }
            }
        }
    }

    @Test(arguments: [FakeWBConfiguration.ReportEnd.noContent, .emptyArray])
    func reportSyncPagesByRrdIDAndFollowsARecomputedReport(end: FakeWBConfiguration.ReportEnd) async throws {
        try await withFakeWB({
            $0.reportCap = 9
            $0.reportEnd = end
        }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 1)
                    let first = try await syncer.sync(account: account, dataset: .report, context: nil)
                    #expect(first.state == "succeeded")
                    #expect(first.pages >= 3)
                    let before = try await stored(postgres, account: account, dataset: .report)
                    #expect(before == (try expected(fake, seller: 1, dataset: .report)))
                    #expect(before.values.contains { ($0["nm_id"] as? Int) == 0 }, "service rows without an article are kept")
                    #expect(before.values.allSatisfy { $0["rid"] != nil }, "fields outside the documented list are kept")

                    let (changed, removed) = fake.recomputeReport(seller: 1, change: 2, remove: 1)
                    #expect(changed.count == 2 && removed.count == 1)
                    let second = try await syncer.sync(account: account, dataset: .report, context: nil)
                    #expect(second.deleted == 1)
                    let after = try await stored(postgres, account: account, dataset: .report)
                    #expect(after == (try expected(fake, seller: 1, dataset: .report)))
                    #expect(after[String(removed[0])] == nil)
                    #expect(after[String(changed[0])] != before[String(changed[0])])
                }
            }
        }
    }

    @Test func financeSourceStoresTheCamelCaseReportAsIs() async throws {
        try await withFakeWB { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 2, source: .finance)
                    let outcome = try await syncer.sync(account: account, dataset: .report, context: nil)
                    #expect(outcome.state == "succeeded")
                    let rows = try await stored(postgres, account: account, dataset: .report)
                    #expect(rows.count == fake.snapshot(seller: 2, dataset: "report").count)
                    let row = try #require(rows.values.first)
                    #expect(row["rrdId"] != nil && row["rrd_id"] == nil)
                    #expect(row["forPay"] is String, "finance-api money is a string")
                    var nulls = 0
                    for try await n in try await postgres.query("SELECT count(*) FROM wb_report_rows WHERE rr_dt IS NULL OR source <> 'finance'")
                        .decode(Int.self)
                    { nulls = n }
                    #expect(nulls == 0)
                }
            }
        }
    }

    @Test func aRefusedTokenMarksOnlyThatAccountAndIsNotRetriedUntilItChanges() async throws {
        try await withFakeWB { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url)
                    // Forged signature: well-formed JWT the fake refuses with 401.
                    let good = fake.token(seller: 1)
                    let parts = good.split(separator: ".")
                    let forged = "\(parts[0]).\(parts[1]).AAAA\(parts[2].dropFirst(4))"
                    let bad = try await addAccount(syncer, fake, seller: 1, token: forged)
                    let expired = try await addAccount(syncer, fake, seller: 3, token: fake.token(seller: 3, expires: Date().addingTimeInterval(-60)))
                    let noScope = try await syncer.accounts.add(
                        name: "No stats",
                        inn: "5099999999",
                        token: fake.token(seller: 2, scope: FakeWBTokens.finance),
                        sellerID: nil,
                        expiresAt: nil
                    ).id
                    let fine = try await addAccount(syncer, fake, seller: 2)

                    let refused = try await syncer.sync(account: bad, dataset: .orders, context: nil)
                    #expect(refused.state == "token_invalid")
                    #expect(refused.note?.contains("token is malformed") == true, "WB's detail is kept: \(refused.note ?? "")")
                    let account = try await syncer.accounts.account(id: bad)
                    #expect(account.tokenStatus == .invalid)

                    let before = fake.counters().values.reduce(0) { $0 + $1.served + $1.unauthorized }
                    #expect(try await syncer.sync(account: expired, dataset: .orders, context: nil).state == "token_invalid")
                    #expect(try await syncer.sync(account: noScope, dataset: .sales, context: nil).note?.contains("Statistics") == true)
                    #expect(try await syncer.sync(account: bad, dataset: .sales, context: nil).state == "skipped")
                    #expect(
                        fake.counters().values.reduce(0) { $0 + $1.served + $1.unauthorized } == before,
                        "no request is spent on a known-bad token"
                    )

                    #expect(try await syncer.sync(account: fine, dataset: .orders, context: nil).state == "succeeded")
                    #expect(try await count(postgres, "wb_orders", account: fine) == fake.snapshot(seller: 2, dataset: "orders").count)

                    // A new token clears the mark.
                    try await syncer.accounts.setToken(id: bad, token: good, sellerID: nil, expiresAt: nil)
                    #expect(try await syncer.sync(account: bad, dataset: .orders, context: nil).state == "succeeded")
                    #expect(try await syncer.accounts.account(id: bad).tokenStatus == .ok)
                }
            }
        }
    }

    @Test func truncatedPagesAndServerErrorsAreRetriedAndNothingIsHalfWritten() async throws {
        try await withFakeWB({ $0.pageCap = 10 }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 1)
                    fake.inject(.truncate, count: 2)
                    fake.inject(.serverError, count: 1)
                    let outcome = try await syncer.sync(account: account, dataset: .orders, context: nil)
                    #expect(outcome.state == "succeeded")
                    #expect(try await stored(postgres, account: account, dataset: .orders) == (try expected(fake, seller: 1, dataset: .orders)))

                    // More broken pages than retries: the job fails retryably, the stored state is exactly the
                    // pages before it, and the cursor did not move.
                    fake.addOrders(seller: 1, count: 5)
                    let cursor = try await syncer.raw.cursor(account: account, dataset: .orders)
                    let rows = try await count(postgres, "wb_orders", account: account)
                    fake.inject(.truncate, count: 4)  // the first try and its 3 retries
                    await #expect(throws: JobFailure.self) { _ = try await syncer.sync(account: account, dataset: .orders, context: nil) }
                    #expect(try await syncer.raw.cursor(account: account, dataset: .orders) == cursor)
                    #expect(try await count(postgres, "wb_orders", account: account) == rows)
                    #expect(try await syncer.accounts.account(id: account).lastSyncState == "failed")
                    #expect(try await syncer.sync(account: account, dataset: .orders, context: nil).state == "succeeded")
                    #expect(try await stored(postgres, account: account, dataset: .orders) == (try expected(fake, seller: 1, dataset: .orders)))
                }
            }
        }
    }

    @Test func a429IsWaitedOutAndTheSyncGoesOn() async throws {
        try await withFakeWB({
            $0.pageCap = 10
            $0.limits["orders"] = .init(4, per: .seconds(1), burst: 1)
        }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    // The client thinks it may send 200/s: the fake's 429s (with X-Ratelimit-Retry) pace it instead.
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 1)
                    let outcome = try await syncer.sync(account: account, dataset: .orders, context: nil)
                    #expect(outcome.state == "succeeded")
                    let counters = try #require(fake.counters()["\(fake.sellerIDs[0])/orders"])
                    #expect(counters.throttled > 0)
                    #expect(try await stored(postgres, account: account, dataset: .orders) == (try expected(fake, seller: 1, dataset: .orders)))
                }
            }
        }
    }

    @Test func aLongRateLimitDefersTheJobWithoutSpendingAnAttempt() async throws {
        try await withFakeWB({ $0.limits["sales"] = .init(1, per: .seconds(3600)) }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url) { $0.maxInlineWait = .seconds(2) }
                    let account = try await addAccount(syncer, fake, seller: 1)
                    do {
                        _ = try await syncer.sync(account: account, dataset: .sales, context: nil)
                        Issue.record("a sync past an hour-long limit should be deferred")
                    } catch JobFailure.deferred(let message, let until) {
                        #expect(message.contains("rate limit"))
                        #expect(until > Int64(Date().timeIntervalSince1970 * 1000) + 3_000_000)
                    }
                    #expect(try await syncer.accounts.account(id: account).lastSyncState == "deferred")
                    // The page it did get is stored with its cursor: the next run goes on from there.
                    #expect(try await count(postgres, "wb_sales", account: account) == fake.snapshot(seller: 1, dataset: "sales").count)
                }
            }
        }
    }

    @Test func syncJobRunsThroughTheQueueReportsProgressAndChainsKPI() async throws {
        try await withFakeWB({ $0.pageCap = 5 }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withQueue { queue in
                    let syncer = try makeSyncer(postgres: postgres, redis: queue.redis, baseURL: url)
                    let account = try await addAccount(syncer, fake, seller: 1)
                    let job = try await queue.enqueue(try WBSyncJob.request(account: account, dataset: .orders))
                    let duplicate = try await queue.enqueue(try WBSyncJob.request(account: account, dataset: .orders))
                    #expect(duplicate.id == job.id, "one sync per account and dataset at a time")
                    let kpi = KPIStore(client: postgres, logger: TestRedis.logger)
                    try await withWorker(queue: queue, registry: FleetJobs.registry(wbSync: syncer, kpi: kpi), configuration: .testing()) { _ in
                        #expect(await eventually(timeout: .seconds(30)) { try await queue.job(job.id)?.state == "completed" })
                        #expect(
                            await eventually(timeout: .seconds(30)) { (try await queue.stats("default").counters["processed"] ?? 0) >= 2 },
                            "the chained kpi.recompute ran"
                        )
                    }
                    // The chained recompute computed this month from the synced orders.
                    let ranking = try await kpi.ranking(account: account, month: kpi.month(containing: Date()))
                    #expect(ranking.sourceRows.keys.sorted() == ["orders", "report", "sales", "unreadable"])
                    let runs = try await kpi.history(account: account, month: kpi.month(containing: Date()))
                    #expect(runs.first?.trigger == "sync")
                    let info = try #require(try await queue.job(job.id))
                    #expect(info.progress?.contains("\"pages\"") == true)
                    #expect(info.result?.contains("\"succeeded\"") == true)
                    #expect(try await count(postgres, "wb_orders", account: account) == fake.snapshot(seller: 1, dataset: "orders").count)
                }
            }
        }
    }
}
