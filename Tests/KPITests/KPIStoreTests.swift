import Assignments
import FleetStore
import FleetTesting
import Foundation
import KPI
import PostgresNIO
import Testing

@Suite("KPI recompute on PostgreSQL", .serialized)
struct KPIStoreTests {
    static func units(_ value: Double) -> Int64 { Int64((value * 10_000).rounded()) }

    @Test("the worked example: returns, cancellations, a shared article, finance-api strings, nm_id 0 allocated by revenue share")
    func workedExample() async throws {
        try await KPIFixture.run { f in
            let outcome = try await f.store.recompute(account: f.account, month: f.closed, trigger: "test")
            #expect(outcome.computed && outcome.rows == ["orders": 5, "sales": 4, "report": 7, "unreadable": 0])
            let ranking = try await f.store.ranking(account: f.account, month: f.closed)
            #expect(ranking.closed)
            let anna = try #require(ranking.rows.first { $0.login == "anna" })
            let boris = try #require(ranking.rows.first { $0.login == "boris" })
            let vera = try #require(ranking.rows.first { $0.login == "vera" })
            let expectAnna: [KPIFigure: Double] = [
                .ordersCount: 2.5, .ordersSum: 1550.005, .cancellations: 1, .buyouts: 2, .returns: 1, .revenue: 500, .commission: 130,
                .logistics: 50, .storage: 40, .penalties: 6.666, .soldUnits: 0.5,
            ]
            let expectBoris: [KPIFigure: Double] = [
                .ordersCount: 1.5, .ordersSum: 2050.005, .buyouts: 1, .revenue: 1500, .commission: 630, .logistics: 70.5, .storage: 120,
                .penalties: 19.998, .soldUnits: 1.5,
            ]
            let expectRest: [KPIFigure: Double] = [
                .ordersCount: 1, .ordersSum: 300, .revenue: 500, .commission: 100, .storage: 40, .penalties: 6.666, .soldUnits: 1,
            ]
            for figure in KPIFigure.allCases {
                #expect(anna.total[figure] == Self.units(expectAnna[figure] ?? 0), "anna \(figure)")
                #expect(boris.total[figure] == Self.units(expectBoris[figure] ?? 0), "boris \(figure)")
                #expect(ranking.unassigned?.total[figure] == Self.units(expectRest[figure] ?? 0), "unassigned \(figure)")
            }
            #expect(anna.allocated[.storage] == Self.units(40) && anna.direct[.storage] == 0)
            #expect(ranking.totals?[.ordersSum] == Self.units(3900.01) && ranking.totals?[.revenue] == Self.units(2500))
            #expect(ranking.totals?[.storage] == Self.units(200) && ranking.totals?[.penalties] == Self.units(33.33))
            // Buyout rate: anna 2 ÷ (2 + 1 + 1), boris 1 ÷ 1.
            #expect(anna.buyoutRate == 50 && boris.buyoutRate == 100)
            // Standard weights: boris leads revenue, orders sum and buyout rate (0.9); anna has the lower penalties (0.1).
            #expect(boris.rank == 1 && boris.score == 90 && anna.rank == 2 && anna.score == 10)
            #expect(vera.articles == 0 && vera.rank == nil && vera.total.isZero)
            #expect(ranking.rows.map(\.login) == ["boris", "anna", "vera"])
            #expect(anna.margin == nil && anna.costsMissing == [104], "no cost prices: the margin is unknown")
        }
    }

    @Test("cost prices give the margin; targets their attainment; the breakdown lists the articles and their rows")
    func marginTargetsAndBreakdown() async throws {
        try await KPIFixture.run { f in
            try await f.store.setCostPrices(
                account: f.account,
                [KPICostPrice(nmId: 101, cost: 300), KPICostPrice(nmId: 102, cost: 500), KPICostPrice(nmId: 104, cost: 100)],
                replace: true,
                by: "test"
            )
            try await f.store.setTargets(
                account: f.account,
                month: f.closed,
                [KPITarget(userId: f.users["anna"]!, metric: "revenue", target: 1000)],
                by: "test"
            )
            _ = try await f.store.recompute(account: f.account, month: f.closed, trigger: "test")
            let ranking = try await f.store.ranking(account: f.account, month: f.closed)
            let anna = try #require(ranking.rows.first { $0.login == "anna" })
            let boris = try #require(ranking.rows.first { $0.login == "boris" })
            #expect(anna.total[.costOfGoods] == Self.units(50) && boris.total[.costOfGoods] == Self.units(550))
            #expect(anna.margin == 353.334 && boris.margin == 739.502)
            let remainder = try #require(ranking.unassigned)
            #expect(remainder.margin == nil && remainder.costsMissing == [103])
            #expect(anna.targets == [KPITargetResult(metric: "revenue", target: 1000, value: 500, attainment: 50)])
            let breakdown = try await f.store.breakdown(account: f.account, month: f.closed, user: f.users["anna"]!)
            #expect(breakdown.articles.map(\.nmId) == [101, 104] && breakdown.articles.map(\.holders) == [1, 2])
            #expect(breakdown.general[.storage] == Self.units(200))
            let rows = try await f.store.sourceRows(
                account: f.account,
                month: f.closed,
                user: f.users["anna"]!,
                source: .report,
                nmId: nil,
                after: nil,
                limit: 2
            )
            #expect(rows.rows.map(\.key) == ["1", "2"] && rows.next == "2")
            #expect(rows.rows[1].figures["revenue"] == -400, "a return subtracts")
            let rest = try await f.store.sourceRows(
                account: f.account,
                month: f.closed,
                user: f.users["anna"]!,
                source: .report,
                nmId: nil,
                after: rows.next,
                limit: 2
            )
            #expect(rest.rows.map(\.key) == ["7"] && rest.next == nil && rest.rows[0].figures["revenue"] == 200)
            let orders = try await f.store.sourceRows(
                account: f.account,
                month: f.closed,
                user: f.users["anna"]!,
                source: .orders,
                nmId: 101,
                after: nil,
                limit: 10
            )
            #expect(orders.rows.map(\.key) == ["o1", "o2"] && orders.rows[1].figures["cancellations"] == 1)
            await #expect(throws: KPIError.self) {
                try await f.store.sourceRows(
                    account: f.account,
                    month: f.closed,
                    user: f.users["anna"]!,
                    source: .orders,
                    nmId: 102,
                    after: nil,
                    limit: 10
                )
            }
        }
    }

    @Test("the month's assignment counts: nmId 101 is boris's the month after, and its rows there are his")
    func reassignment() async throws {
        try await KPIFixture.run { f in
            _ = try await f.store.recompute(account: f.account, month: f.last, trigger: "test")
            let ranking = try await f.store.ranking(account: f.account, month: f.last)
            let boris = try #require(ranking.rows.first { $0.login == "boris" })
            let anna = try #require(ranking.rows.first { $0.login == "anna" })
            #expect(boris.total[.revenue] == Self.units(100) && boris.total[.ordersCount] == Self.units(1))
            #expect(anna.total.isZero && anna.rank == nil && ranking.closed)
            #expect(anna.articles == 0 && boris.articles == 1)
        }
    }

    @Test("a recomputed report changes a closed month; an unchanged month is not recomputed; every computation is kept")
    func recomputedReport() async throws {
        try await KPIFixture.run { f in
            let first = try await f.store.recompute(account: f.account, month: f.closed, trigger: "sync")
            #expect(first.computed)
            let again = try await f.store.recompute(account: f.account, month: f.closed, trigger: "sync")
            #expect(!again.computed, "nothing changed")
            // WB recomputes the report: row 3 pays 1300 now.
            try await f.client.query(
                """
                UPDATE wb_report_rows SET doc = jsonb_set(doc, '{ppvz_for_pay}', '1300'), synced_at = now()
                WHERE account_id = \(f.account) AND rrd_id = 3
                """,
                logger: KPIFixture.logger
            )
            let changed = try await f.store.recompute(account: f.account, month: f.closed, trigger: "sync")
            #expect(changed.computed)
            let ranking = try await f.store.ranking(account: f.account, month: f.closed)
            // boris: 1300 from 102 and half of 104's 200 (it was 1500).
            #expect(ranking.rows.first { $0.login == "boris" }?.direct[.revenue] == Self.units(1400))
            // A deleted row (WB dropped it from the report) changes it too.
            try await f.client.query("DELETE FROM wb_report_rows WHERE account_id = \(f.account) AND rrd_id = 6", logger: KPIFixture.logger)
            #expect(try await f.store.recompute(account: f.account, month: f.closed, trigger: "sync").computed)
            #expect(try await f.store.ranking(account: f.account, month: f.closed).totals?[.penalties] == 0)
            let history = try await f.store.history(account: f.account, month: f.closed)
            #expect(history.count == 3 && history.allSatisfy { $0.changed })
            // An assignment change is a change too.
            try await f.client.query(
                "DELETE FROM assignments WHERE account_id = \(f.account) AND month = \(f.closed.firstDay)::date AND nm_id = 104",
                logger: KPIFixture.logger
            )
            #expect(try await f.store.recompute(account: f.account, month: f.closed, trigger: "assignments").computed)
            #expect(try await f.store.ranking(account: f.account, month: f.closed).unassigned?.direct[.revenue] == Self.units(700))
        }
    }

    @Test("bad settings, targets and cost prices are refused with what to do, and change nothing")
    func refusals() async throws {
        try await KPIFixture.run { f in
            await #expect(throws: KPIError.self) {
                try await f.store.setSettings(
                    account: f.account,
                    KPISettings(weights: [.init(metric: "happiness", weight: 1, direction: .higher)]),
                    by: "t"
                )
            }
            #expect(try await f.store.settings(account: f.account) == .standard)
            await #expect(throws: KPIError.self) {
                try await f.store.setTargets(account: f.account, month: f.closed, [KPITarget(userId: 999_999, metric: "revenue", target: 1)], by: "t")
            }
            await #expect(throws: KPIError.self) {
                try await f.store.setTargets(
                    account: f.account,
                    month: f.closed,
                    [KPITarget(userId: f.users["anna"]!, metric: "revenue", target: -1)],
                    by: "t"
                )
            }
            #expect(try await f.store.targets(account: f.account, month: f.closed).isEmpty)
            try await f.store.setCostPrices(account: f.account, [KPICostPrice(nmId: 101, cost: 1)], replace: true, by: "t")
            await #expect(throws: KPIError.self) {
                try await f.store.setCostPrices(
                    account: f.account,
                    [KPICostPrice(nmId: 102, cost: 5), KPICostPrice(nmId: -3, cost: 1)],
                    replace: true,
                    by: "t"
                )
            }
            #expect(try await f.store.costPrices(account: f.account) == [KPICostPrice(nmId: 101, cost: 1)])
            await #expect { try await f.store.ranking(account: f.account, month: f.closed) } throws: { ($0 as? KPIError)?.kind == .notComputed }
            await #expect { try await f.store.recompute(account: 424_242, month: f.closed, trigger: "t") } throws: {
                ($0 as? KPIError)?.kind == .notFound
            }
            // A new weighting changes the ranking: lower logistics is better alone → anna (50) before boris (70.5).
            try await f.store.setSettings(
                account: f.account,
                KPISettings(weights: [.init(metric: "logistics", weight: 1, direction: .lower)]),
                by: "t"
            )
            _ = try await f.store.recompute(account: f.account, month: f.closed, trigger: "t")
            #expect(try await f.store.ranking(account: f.account, month: f.closed).rows.prefix(2).map(\.login) == ["anna", "boris"])
        }
    }

    @Test("an unreadable money value is counted, not silently summed")
    func unreadableValues() async throws {
        try await KPIFixture.run { f in
            try await f.report(9, f.day(f.closed, 20), 101, #"{"doc_type_name":"Продажа","ppvz_for_pay":"n/a","quantity":1}"#)
            let outcome = try await f.store.recompute(account: f.account, month: f.closed, trigger: "test")
            #expect(outcome.rows["unreadable"] == 1)
        }
    }
}
