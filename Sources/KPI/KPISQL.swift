/// The SQL that reads the figures from the synced rows: one place for the recompute's scan and for the rows an
/// explanation lists, so both read a row the same way.
///
/// Statistics rows (`reportDetailByPeriod`) and finance-api rows (camelCase, money as strings) are both read:
/// each field is the snake_case key or, failing that, its finance-api name.
enum KPISQL {
    /// A report row's fields as jsonb (the row is `r`).
    static let reportFields = """
        CASE coalesce(r.doc->>'doc_type_name', r.doc->>'docTypeName') WHEN 'Продажа' THEN 1 WHEN 'Возврат' THEN -1 ELSE 0 END AS sign,
        coalesce(r.doc->'ppvz_for_pay', r.doc->'forPay') AS j_for_pay,
        coalesce(r.doc->'retail_price_withdisc_rub', r.doc->'retailPriceWithdiscRub') AS j_retail,
        coalesce(r.doc->'delivery_rub', r.doc->'deliveryRub') AS j_delivery,
        coalesce(r.doc->'storage_fee', r.doc->'paidStorage', r.doc->'storageFee') AS j_storage,
        r.doc->'penalty' AS j_penalty,
        r.doc->'deduction' AS j_deduction,
        coalesce(r.doc->'acceptance', r.doc->'paidAcceptance') AS j_acceptance,
        r.doc->'quantity' AS j_quantity
        """

    /// The money fields of ``reportFields``.
    static let moneyFields = ["j_for_pay", "j_retail", "j_delivery", "j_storage", "j_penalty", "j_deduction", "j_acceptance", "j_quantity"]

    /// A report row's figure values (from ``reportFields``' columns), in ``KPIFigure`` order for the report's figures.
    static let reportValues: [(KPIFigure, String)] = [
        (.revenue, "sign * coalesce(joycity_money(j_for_pay), 0)"),
        (.commission, "sign * (coalesce(joycity_money(j_retail), 0) - coalesce(joycity_money(j_for_pay), 0))"),
        (.logistics, "coalesce(joycity_money(j_delivery), 0)"),
        (.storage, "coalesce(joycity_money(j_storage), 0)"),
        (.penalties, "coalesce(joycity_money(j_penalty), 0)"),
        (.deductions, "coalesce(joycity_money(j_deduction), 0)"),
        (.acceptance, "coalesce(joycity_money(j_acceptance), 0)"),
        (.soldUnits, "sign * coalesce(joycity_money(j_quantity), 0)"),
    ]

    /// Whether a present value is unreadable (not a number, not a numeric string, not null).
    static let unreadable = moneyFields.map { "(\($0) IS NOT NULL AND jsonb_typeof(\($0)) <> 'null' AND joycity_money(\($0)) IS NULL)" }
        .joined(separator: " OR ")

    /// The month's figures per article of account `$1` from `$2` (first day) to `$3` (next month's first day):
    /// `nm` and one `f_<figure>` numeric column per summed figure, plus the `unreadable` row count.
    static let facts: String = {
        let reportSums = reportValues.map { "sum(\($1)) AS f_\($0.name)" }.joined(separator: ",\n  ")
        let columns = KPIFigure.summed.map { figure -> String in
            "round(coalesce(f_\(figure.name), 0) * \(KPIFigures.scale))::bigint"
        }.joined(separator: ", ")
        return """
            WITH o AS (
              SELECT nm, count(*) AS f_orders, sum(coalesce(joycity_money(j_price), 0)) AS f_ordersSum,
                     count(*) FILTER (WHERE j_cancel = 'true'::jsonb) AS f_cancellations
              FROM (
                -- OFFSET 0 keeps the subquery apart: each field is taken out of the document once per row, not
                -- once per use (joycity_money reads its argument up to four times).
                SELECT coalesce(nm_id, 0) AS nm, doc->'priceWithDisc' AS j_price, doc->'isCancel' AS j_cancel
                FROM wb_orders WHERE account_id = $1 AND order_date >= $2::date AND order_date < $3::date OFFSET 0
              ) rows
              GROUP BY 1
            ), s AS (
              SELECT coalesce(nm_id, 0) AS nm, count(*) FILTER (WHERE sale_id LIKE 'S%') AS f_buyouts,
                     count(*) FILTER (WHERE sale_id LIKE 'R%') AS f_returns
              FROM wb_sales WHERE account_id = $1 AND sale_date >= $2::date AND sale_date < $3::date
              GROUP BY 1
            ), r AS (
              SELECT nm, \(reportSums),
                     count(*) FILTER (WHERE \(unreadable)) AS unreadable
              FROM (
                SELECT coalesce(r.nm_id, 0) AS nm, \(reportFields)
                FROM wb_report_rows r WHERE r.account_id = $1 AND r.rr_dt >= $2::date AND r.rr_dt < $3::date OFFSET 0
              ) rows
              GROUP BY 1
            )
            SELECT nm, ARRAY[\(columns)], coalesce(unreadable, 0)
            FROM o FULL JOIN s USING (nm) FULL JOIN r USING (nm)
            """
    }()

    /// Each figure of one source row, for an explanation: `key`, `day`, `nm`, then the figures' numeric values.
    static func sourceRows(_ source: KPISource) -> (sql: String, figures: [KPIFigure]) {
        switch source {
        case .orders:
            return (
                """
                SELECT srid, coalesce(order_date::text, ''), nm_id, ARRAY[1, coalesce(joycity_money(doc->'priceWithDisc'), 0),
                       CASE WHEN doc->'isCancel' = 'true'::jsonb THEN 1 ELSE 0 END]::float8[]
                FROM wb_orders WHERE account_id = $1 AND order_date >= $2::date AND order_date < $3::date
                  AND nm_id = ANY($4::bigint[]) AND srid > $5
                ORDER BY srid LIMIT $6
                """,
                [.ordersCount, .ordersSum, .cancellations]
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
                SELECT rrd_id::text, coalesce(rr_dt::text, ''), nm, ARRAY[\(reportValues.map(\.1).joined(separator: ", "))]::float8[]
                FROM (
                  SELECT r.rrd_id, r.rr_dt, coalesce(r.nm_id, 0) AS nm, \(reportFields)
                  FROM wb_report_rows r WHERE r.account_id = $1 AND r.rr_dt >= $2::date AND r.rr_dt < $3::date
                    AND coalesce(r.nm_id, 0) = ANY($4::bigint[]) AND r.rrd_id > $5::bigint
                  ORDER BY r.rrd_id LIMIT $6
                ) rows
                ORDER BY rrd_id
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
