import Assignments
import FleetCore
import FleetStore
import Foundation
import KPI
import Logging
import PostgresNIO

/// `joycity bench kpi`: recompute one account's month with `reportRows` report rows and `orders` orders over
/// `managers` managers, against a hand-written `GROUP BY nm_id` scan of the same rows in PostgreSQL (the report's
/// money fields and the orders' price), measured in the same run. Uses a database of its own on the server of
/// `DATABASE_URL`, dropped afterwards.
struct KPIBenchmark {
    let reportRows: Int
    let orders: Int
    let managers: Int
    let articles: Int
    let rounds: Int
    let logger: Logger

    struct Report: Encodable {
        var reportRows: Int
        var orders: Int
        var managers: Int
        var articles: Int
        /// Generating and storing the rows (not measured against anything).
        var loadSeconds: Double
        /// The baseline: one GROUP BY scan per source of the same rows (median of the rounds).
        var baselineSeconds: Double
        /// Our forced recompute: scan, assignment, allocation, scores, results written (median of the rounds).
        var recomputeSeconds: Double
        /// baselineSeconds / recomputeSeconds: our speed relative to the baseline's (target ≥ 0.5).
        var ratio: Double
        /// A recompute that finds nothing changed (the fingerprint only).
        var unchangedSeconds: Double
        /// The last forced recompute's phases (ms).
        var phasesMs: [String: Int]

        func printText() {
            print(
                "bench kpi: \(reportRows) report rows, \(orders) orders, \(articles) articles over \(managers) managers (loaded in \(String(format: "%.1f", loadSeconds)) s)"
            )
            print(
                String(
                    format: "  baseline GROUP BY scan of the same rows:  %.2f s  (%.0f rows/s)",
                    baselineSeconds,
                    Double(reportRows + orders) / baselineSeconds
                )
            )
            print(
                String(
                    format: "  kpi recompute of the month (forced):     %.2f s  (%.0f rows/s)",
                    recomputeSeconds,
                    Double(reportRows + orders) / recomputeSeconds
                )
            )
            print(String(format: "  ratio, recompute speed to baseline: %.2f (target ≥ 0.5)", ratio))
            print(String(format: "  recompute with nothing changed: %.3f s", unchangedSeconds))
            print(
                "  phases of the last recompute (ms): " + phasesMs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            )
        }
    }

    func run() async throws -> Report {
        try await withBenchDatabase(logger: logger) { try await measure($0) }
    }

    func measure(_ postgres: PostgresClient) async throws -> Report {
        let store = KPIStore(client: postgres, logger: logger)
        let month = store.recentMonths()[1]
        let first = month.firstDay
        let loadStart = ContinuousClock.now
        let account = try await postgres.query(
            "INSERT INTO seller_accounts (name, inn) VALUES ('Bench', '7700000000') RETURNING id",
            logger: logger
        ).decode(Int64.self).first { _ in true }!
        try await postgres.query(
            """
            INSERT INTO users (login, name, password_hash, account_id)
            SELECT 'manager' || i, 'Manager ' || i, 'x', \(account) FROM generate_series(1, \(managers)) i
            """,
            logger: logger
        )
        try await postgres.query("INSERT INTO user_roles (user_id, role) SELECT id, 'MANAGER' FROM users", logger: logger)
        // Nine in ten articles are assigned, round robin; the rest are unassigned.
        try await postgres.query(
            """
            INSERT INTO assignments (account_id, month, nm_id, user_id)
            SELECT \(account), \(first)::date, 100000000 + n, (SELECT id FROM users ORDER BY id OFFSET ((n - n / 10) % \(managers)) LIMIT 1)
            FROM generate_series(1, \(articles)) n WHERE n % 10 <> 0
            """,
            logger: logger
        )
        // Report rows shaped like WB's (the fields the figures read and a few dozen more); one in a hundred a
        // storage or penalty row without an article.
        try await postgres.query(
            """
            INSERT INTO wb_report_rows (account_id, rrd_id, realizationreport_id, rr_dt, nm_id, source, sync_run, doc)
            SELECT \(account), n, 1000 + n / 50000, d, nm, 'statistics', 1,
                   jsonb_build_object('rrd_id', n, 'realizationreport_id', 1000 + n / 50000, 'rr_dt', d::text, 'nm_id', nm,
                     'doc_type_name', CASE WHEN nm = 0 THEN '' WHEN n % 9 = 0 THEN 'Возврат' ELSE 'Продажа' END,
                     'supplier_oper_name', CASE WHEN nm = 0 THEN 'Хранение' WHEN n % 9 = 0 THEN 'Возврат' ELSE 'Продажа' END,
                     'quantity', CASE WHEN nm = 0 THEN 0 ELSE 1 END, 'retail_price', 1249, 'retail_amount', 999.5,
                     'retail_price_withdisc_rub', 999.5 + n % 100, 'ppvz_for_pay', 800.25 + n % 100, 'delivery_rub', (n % 7) * 10.5,
                     'storage_fee', CASE WHEN nm = 0 THEN 120.75 ELSE 0 END, 'penalty', CASE WHEN nm = 0 AND n % 2 = 0 THEN 33.3 ELSE 0 END,
                     'deduction', 0, 'acceptance', 0, 'office_name', 'Коледино', 'subject_name', 'Мини-печи', 'brand_name', 'Бренд',
                     'sa_name', 'ART-' || nm, 'ts_name', '0', 'barcode', '46' || n, 'commission_percent', 24, 'ppvz_spp_prc', 25.31,
                     'ppvz_kvw_prc_base', 24.15, 'ppvz_kvw_prc', 1.81, 'ppvz_sales_commission', 23.74, 'ppvz_reward', 0,
                     'acquiring_fee', 14.89, 'acquiring_percent', 4.06, 'acquiring_bank', 'Тинькофф', 'ppvz_vw', 22.25, 'ppvz_vw_nds', 4.45,
                     'ppvz_office_name', 'Пункт самовывоза (ПВЗ)', 'ppvz_office_id', 105383, 'ppvz_supplier_name', 'ИП Жасмин',
                     'ppvz_inn', '010101010101', 'srid', md5(n::text), 'order_uid', 'id' || md5(n::text), 'delivery_method', 'FBW',
                     'gi_box_type_name', 'Монопаллета', 'site_country', 'Россия', 'report_type', 1, 'is_legal_entity', false)
            FROM (SELECT n, \(first)::date + (n % 28)::int AS d, CASE WHEN n % 100 = 0 THEN 0 ELSE 100000000 + n % \(articles) + 1 END AS nm
                  FROM generate_series(1, \(reportRows)) n) g
            """,
            logger: logger
        )
        try await postgres.query(
            """
            INSERT INTO wb_orders (account_id, srid, last_change_date, order_date, nm_id, doc)
            SELECT \(account), 'o' || n, t, t, nm,
                   jsonb_build_object('srid', 'o' || n, 'date', t, 'lastChangeDate', t, 'nmId', nm, 'priceWithDisc', 1547 + n % 300,
                     'finishedPrice', 1145, 'totalPrice', 1887, 'isCancel', n % 11 = 0, 'warehouseName', 'Подольск',
                     'regionName', 'Московская', 'supplierArticle', 'ART-' || nm, 'brand', 'Бренд', 'subject', 'Мультистайлеры')
            FROM (SELECT n, \(first)::timestamp + (n % 40000) * interval '1 minute' AS t, 100000000 + n % \(articles) + 1 AS nm
                  FROM generate_series(1, \(orders)) n) g
            """,
            logger: logger
        )
        try await postgres.query("VACUUM ANALYZE", logger: logger)
        let loadSeconds = (ContinuousClock.now - loadStart).seconds
        let next = month.next.firstDay
        var baselines: [Double] = []
        var recomputes: [Double] = []
        var phases: [String: Int] = [:]
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            var groups = 0
            for try await _ in try await postgres.query(
                """
                SELECT nm_id, count(*), sum((doc->>'ppvz_for_pay')::numeric), sum((doc->>'retail_price_withdisc_rub')::numeric),
                       sum((doc->>'delivery_rub')::numeric), sum((doc->>'storage_fee')::numeric), sum((doc->>'penalty')::numeric),
                       sum((doc->>'deduction')::numeric), sum((doc->>'acceptance')::numeric), sum((doc->>'quantity')::numeric)
                FROM wb_report_rows WHERE account_id = \(account) AND rr_dt >= \(first)::date AND rr_dt < \(next)::date GROUP BY nm_id
                """,
                logger: logger
            ) { groups += 1 }
            for try await _ in try await postgres.query(
                """
                SELECT nm_id, count(*), sum((doc->>'priceWithDisc')::numeric), count(*) FILTER (WHERE (doc->>'isCancel')::boolean)
                FROM wb_orders WHERE account_id = \(account) AND order_date >= \(first)::date AND order_date < \(next)::date GROUP BY nm_id
                """,
                logger: logger
            ) { groups += 1 }
            baselines.append((ContinuousClock.now - start).seconds)
            guard groups > articles else { throw BenchmarkError("the baseline read \(groups) groups, fewer than the articles") }
            let ours = ContinuousClock.now
            let outcome = try await store.recompute(account: account, month: month, force: true, trigger: "bench")
            recomputes.append((ContinuousClock.now - ours).seconds)
            phases = outcome.phasesMs
            guard outcome.rows["report"] == Int64(reportRows), outcome.rows["orders"] == Int64(orders) else {
                throw BenchmarkError("the recompute read \(outcome.rows), not every generated row")
            }
        }
        let ranking = try await store.ranking(account: account, month: month)
        guard ranking.rows.filter({ $0.rank != nil }).count == managers else {
            throw BenchmarkError("\(ranking.rows.count) managers ranked, not \(managers)")
        }
        let unchangedStart = ContinuousClock.now
        let unchanged = try await store.recompute(account: account, month: month, trigger: "bench")
        let unchangedSeconds = (ContinuousClock.now - unchangedStart).seconds
        guard !unchanged.computed else { throw BenchmarkError("an unchanged month was recomputed") }
        let baseline = AssignmentBenchmark.median(baselines)
        let recompute = AssignmentBenchmark.median(recomputes)
        return Report(
            reportRows: reportRows,
            orders: orders,
            managers: managers,
            articles: articles,
            loadSeconds: loadSeconds,
            baselineSeconds: baseline,
            recomputeSeconds: recompute,
            ratio: baseline / recompute,
            unchangedSeconds: unchangedSeconds,
            phasesMs: phases
        )
    }
}
