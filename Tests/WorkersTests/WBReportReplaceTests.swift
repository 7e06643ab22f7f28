import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import Testing
import WBKit
import Workers

/// Report rows are replaced by report, a deep re-read catches older recomputations, and unusable tokens stop before
/// any request without leaving a window open.
@Suite("WB report replacement and tokens", .serialized)
struct WBReportReplaceTests {
    @Test func aRowDroppedFromAReReadWeekIsRemovedThoughItIsDatedBeforeTheWindow() async throws {
        try await withFakeWB({ $0.days = 21 }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    // A window that starts mid-week, so its first week has rows dated before it.
                    let today = moscowDayNumber()
                    let rewindow: Int64 = weekStart(today - 2) == today - 2 ? 3 : 2
                    let syncer = try makeSyncer(
                        postgres: postgres,
                        redis: redis,
                        baseURL: url,
                        windows: .init(lookback: .seconds(30 * 86_400), reportRewindow: .seconds(Int64(rewindow) * 86_400))
                    )
                    let account = try await addAccount(syncer, fake, seller: 1)
                    #expect(try await syncer.sync(account: account, dataset: .report, context: nil).state == "succeeded")
                    let windowStart = today - rewindow
                    let victim = try #require(fake.reportDays(seller: 1).first { $0.day >= weekStart(windowStart) && $0.day < windowStart })
                    #expect(fake.removeReportRows(seller: 1, rrdIDs: [victim.rrd]) == 1)
                    let second = try await syncer.sync(account: account, dataset: .report, context: nil)
                    #expect(second.state == "succeeded" && second.deleted == 1)
                    let after = try await stored(postgres, account: account, dataset: .report)
                    #expect(after[String(victim.rrd)] == nil)
                    #expect(after == (try expected(fake, seller: 1, dataset: .report)))
                }
            }
        }
    }

    @Test func aRecomputationOlderThanTheRewindowIsCaughtByTheDeepReRead() async throws {
        try await withFakeWB({ $0.days = 28 }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(
                        postgres: postgres,
                        redis: redis,
                        baseURL: url,
                        windows: .init(lookback: .seconds(30 * 86_400), reportRewindow: .seconds(2 * 86_400), deepRewindow: .seconds(60 * 86_400))
                    )
                    let account = try await addAccount(syncer, fake, seller: 1)
                    #expect(try await syncer.sync(account: account, dataset: .report, context: nil).state == "succeeded")
                    // A row of a week that ended before the ordinary window.
                    let oldWeek = weekStart(moscowDayNumber() - 2) - 7
                    let victim = try #require(fake.reportDays(seller: 1).first { $0.day < oldWeek })
                    fake.removeReportRows(seller: 1, rrdIDs: [victim.rrd])
                    let ordinary = try await syncer.sync(account: account, dataset: .report, context: nil)
                    #expect(ordinary.deleted == 0)
                    #expect(
                        try await stored(postgres, account: account, dataset: .report)[String(victim.rrd)] != nil,
                        "the ordinary window does not reach it"
                    )
                    let deep = try await syncer.sync(account: account, dataset: .report, deep: true, context: nil)
                    #expect(deep.state == "succeeded" && deep.deleted == 1)
                    #expect(try await stored(postgres, account: account, dataset: .report) == (try expected(fake, seller: 1, dataset: .report)))
                }
            }
        }
    }

    @Test func aTestTokenIsRefusedLocallyAndAnUnusableTokenReleasesTheReportWindow() async throws {
        try await withFakeWB({ $0.reportCap = 3 }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url)
                    let sandbox = try await addAccount(syncer, fake, seller: 1, token: fake.token(seller: 1, kind: 2))
                    let before = fake.counters().values.reduce(0) { $0 + $1.served + $1.unauthorized }
                    let refused = try await syncer.sync(account: sandbox, dataset: .orders, context: nil)
                    #expect(refused.state == "token_invalid")
                    #expect(
                        refused.note?.contains("test (sandbox) token") == true && refused.note?.contains("WB refused") == false,
                        "\(refused.note ?? "")"
                    )
                    #expect(fake.counters().values.reduce(0) { $0 + $1.served + $1.unauthorized } == before, "no request was sent")

                    // A report run that fails part-way keeps its window open to resume...
                    let account = try await addAccount(syncer, fake, seller: 2)
                    fake.inject(.serverError, count: 50)
                    await #expect(throws: (any Error).self) { try await syncer.sync(account: account, dataset: .report, context: nil) }
                    #expect(try await syncer.raw.cursor(account: account, dataset: .report)?.runID != nil)
                    // ...until its token turns out unusable: then the window is released.
                    try await syncer.accounts.setToken(
                        id: account,
                        token: fake.token(seller: 2, expires: Date().addingTimeInterval(-60)),
                        sellerID: nil,
                        expiresAt: nil
                    )
                    let expired = try await syncer.sync(account: account, dataset: .report, context: nil)
                    #expect(expired.state == "token_invalid" && expired.note?.contains("expired") == true)
                    let cursor = try await syncer.raw.cursor(account: account, dataset: .report)
                    #expect(cursor?.runID == nil && cursor?.rrdID == 0)
                }
            }
        }
    }
}
