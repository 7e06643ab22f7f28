/// The SQL that reads the figures from the synced rows: one place for the recompute's scan and for the rows an
/// explanation lists, so both read a row the same way.
///
/// The figures come from typed columns PostgreSQL fills when a row is written (migration 11, `KPIColumns`): money in
/// 0.0001 units, statistics rows (`reportDetailByPeriod`) and finance-api rows (camelCase, money as strings) alike,
/// and `k_unreadable` for a row with a value the money parser cannot read. So a month's scan sums integers.
enum KPISQL {
    /// A report row's figure values in 0.0001 units (columns of `wb_report_rows`), in ``KPIFigure`` order for the
    /// report's figures.
    static let reportValues: [(KPIFigure, String)] = [
        (.revenue, "k_sign * coalesce(k_for_pay, 0)"),
        (.commission, "k_sign * (coalesce(k_retail, 0) - coalesce(k_for_pay, 0))"),
        (.logistics, "coalesce(k_delivery, 0)"),
        (.storage, "coalesce(k_storage, 0)"),
        (.penalties, "coalesce(k_penalty, 0)"),
        (.deductions, "coalesce(k_deduction, 0)"),
        (.acceptance, "coalesce(k_acceptance, 0)"),
        (.soldUnits, "k_sign * coalesce(k_quantity, 0)"),
    ]

    /// An order's figure values in 0.0001 units (columns of `wb_orders`).
    static let orderValues: [(KPIFigure, String)] = [
        (.ordersCount, "\(KPIFigures.scale)"),
        (.ordersSum, "coalesce(k_price, 0)"),
        (.cancellations, "CASE WHEN k_cancel THEN \(KPIFigures.scale) ELSE 0 END"),
    ]

    /// The month's figures per article of account `$1` from `$2` (first day) to `$3` (next month's first day):
    /// `nm`, the figures in ``KPIFigure/summed`` order (0.0001 units), and the count of unreadable report rows.
    static let facts: String = {
        let sums = { (values: [(KPIFigure, String)]) in values.map { "sum(\($1)) AS f_\($0.name)" }.joined(separator: ", ") }
        let columns = KPIFigure.summed.map { "coalesce(f_\($0.name), 0)::bigint" }.joined(separator: ", ")
        return """
            WITH o AS (
              SELECT coalesce(nm_id, 0) AS nm, \(sums(orderValues))
              FROM wb_orders WHERE account_id = $1 AND order_date >= $2::date AND order_date < $3::date
              GROUP BY 1
            ), s AS (
              SELECT coalesce(nm_id, 0) AS nm, count(*) FILTER (WHERE sale_id LIKE 'S%') * \(KPIFigures.scale) AS f_buyouts,
                     count(*) FILTER (WHERE sale_id LIKE 'R%') * \(KPIFigures.scale) AS f_returns
              FROM wb_sales WHERE account_id = $1 AND sale_date >= $2::date AND sale_date < $3::date
              GROUP BY 1
            ), r AS (
              SELECT coalesce(nm_id, 0) AS nm, \(sums(reportValues)), count(*) FILTER (WHERE k_unreadable) AS unreadable
              FROM wb_report_rows WHERE account_id = $1 AND rr_dt >= $2::date AND rr_dt < $3::date
              GROUP BY 1
            )
            SELECT nm, ARRAY[\(columns)], coalesce(unreadable, 0)
            FROM o FULL JOIN s USING (nm) FULL JOIN r USING (nm)
            """
    }()

    /// `values` (0.0001 units) as one float8 array in rubles and units, as an explanation shows them.
    static func inCurrency(_ values: [(KPIFigure, String)]) -> String {
        "ARRAY[" + values.map { "(\($0.1))::numeric / \(KPIFigures.scale)" }.joined(separator: ", ") + "]::float8[]"
    }

    /// Each figure of one source row, for an explanation: `key`, `day`, `nm`, then the figures' numeric values.
    static func sourceRows(_ source: KPISource) -> (sql: String, figures: [KPIFigure]) {
        switch source {
        case .orders:
            return (
                """
                SELECT srid, coalesce(order_date::text, ''), nm_id,
                       \(inCurrency(orderValues))
                FROM wb_orders WHERE account_id = $1 AND order_date >= $2::date AND order_date < $3::date
                  AND nm_id = ANY($4::bigint[]) AND srid > $5
                ORDER BY srid LIMIT $6
                """,
                orderValues.map(\.0)
            )
        case .sales:
            return (
                """
                SELECT sale_id, coalesce(sale_date::text, ''), nm_id,
                       ARRAY[CASE WHEN sale_id LIKE 'S%' THEN 1 ELSE 0 END, CASE WHEN sale_id LIKE 'R%' THEN 1 ELSE 0 END]::float8[]
                FROM wb_sales WHERE account_id = $1 AND sale_date >= $2::date AND sale_date < $3::date
                  AND nm_id = ANY($4::bigint[]) AND sale_id > $5
                ORDER BY sale_id LIMIT $6
                """,
                [.buyouts, .returns]
            )
        case .report:
            return (
                """
                SELECT rrd_id::text, coalesce(rr_dt::text, ''), coalesce(nm_id, 0),
                       \(inCurrency(reportValues))
                FROM wb_report_rows WHERE account_id = $1 AND rr_dt >= $2::date AND rr_dt < $3::date
                  AND coalesce(nm_id, 0) = ANY($4::bigint[]) AND rrd_id > $5::bigint
                ORDER BY rrd_id LIMIT $6
                """,
                reportValues.map(\.0)
            )
        }
    }

    /// What a month's result depends on, as one string: the rows of each source (count and latest `synced_at`),
    /// the assignment and its audit, cost prices, settings, targets and the account's users; and the latest
    /// `synced_at` (the data watermark). `$1` account, `$2`/`$3` the month's bounds.
    static let fingerprint = """
        WITH o AS (SELECT count(*) AS n, max(synced_at) AS at FROM wb_orders WHERE account_id = $1 AND order_date >= $2::date AND order_date < $3::date),
             s AS (SELECT count(*) AS n, max(synced_at) AS at FROM wb_sales WHERE account_id = $1 AND sale_date >= $2::date AND sale_date < $3::date),
             r AS (SELECT count(*) AS n, max(synced_at) AS at FROM wb_report_rows WHERE account_id = $1 AND rr_dt >= $2::date AND rr_dt < $3::date)
        SELECT concat_ws('|', 'v1',
                 (SELECT n || '@' || coalesce(at::text, '') FROM o), (SELECT n || '@' || coalesce(at::text, '') FROM s),
                 (SELECT n || '@' || coalesce(at::text, '') FROM r),
                 (SELECT count(*) || '@' || coalesce(max(assigned_at)::text, '') FROM assignments WHERE account_id = $1 AND month = $2::date),
                 (SELECT coalesce(max(id), 0) FROM assignment_audit WHERE account_id = $1 AND month = $2::date),
                 (SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM cost_prices WHERE account_id = $1),
                 (SELECT coalesce(max(updated_at)::text, '') FROM kpi_settings WHERE account_id = $1),
                 (SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM kpi_targets WHERE account_id = $1 AND month = $2::date),
                 (SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM users WHERE account_id = $1)),
               greatest((SELECT at FROM o), (SELECT at FROM s), (SELECT at FROM r)),
               (SELECT n FROM o), (SELECT n FROM s), (SELECT n FROM r)
        """
}

/// Where an explained figure's rows come from.
public enum KPISource: String, Sendable, Codable, CaseIterable {
    case orders
    case sales
    case report
}
