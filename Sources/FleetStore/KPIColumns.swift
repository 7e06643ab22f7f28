/// Migration 11: the figures the KPI sums, as typed columns PostgreSQL computes when a row is written (generated,
/// stored), so a month's recompute sums integers instead of reading every row's document through the money parser.
/// Money is kept in 0.0001 units (the KPI module's scale; WB's amounts have at most two decimals), a missing value as
/// NULL, and `k_unreadable` marks a row with a present value the parser cannot read (counted, never summed as 0
/// silently). Statistics rows (snake_case numbers) and finance-api rows (camelCase, money strings with a decimal
/// comma) fill the same columns. Adding them rewrites both tables once (minutes for tens of millions of rows, under
/// an exclusive lock: run the migration in a quiet hour).
enum KPIColumns {
    /// The document's value of a field: the first present of `keys` (jsonb).
    static func value(_ keys: [String]) -> String {
        keys.count == 1 ? "doc->'\(keys[0])'" : "coalesce(\(keys.map { "doc->'\($0)'" }.joined(separator: ", ")))"
    }

    /// One field as units: the first present of `keys`.
    static func units(_ keys: [String]) -> String { "round(joycity_money(\(value(keys))) * 10000)::bigint" }

    /// The report's summed fields: column, then the document keys it reads (statistics name first).
    static let reportFields: [(column: String, keys: [String])] = [
        ("k_for_pay", ["ppvz_for_pay", "forPay"]),
        ("k_retail", ["retail_price_withdisc_rub", "retailPriceWithdiscRub"]),
        ("k_delivery", ["delivery_rub", "deliveryRub"]),
        ("k_storage", ["storage_fee", "paidStorage", "storageFee"]),
        ("k_penalty", ["penalty"]),
        ("k_deduction", ["deduction"]),
        ("k_acceptance", ["acceptance", "paidAcceptance"]),
        ("k_quantity", ["quantity"]),
    ]

    static var statements: [String] {
        let unreadable = reportFields.map { "(jsonb_typeof(\(value($0.keys))) <> 'null' AND joycity_money(\(value($0.keys))) IS NULL)" }
            .joined(separator: " OR ")
        let report =
            [
                "ADD COLUMN k_sign smallint GENERATED ALWAYS AS (CASE coalesce(doc->>'doc_type_name', doc->>'docTypeName') WHEN 'Продажа' THEN 1 WHEN 'Возврат' THEN -1 ELSE 0 END) STORED"
            ] + reportFields.map { "ADD COLUMN \($0.column) bigint GENERATED ALWAYS AS (\(units($0.keys))) STORED" }
            + ["ADD COLUMN k_unreadable boolean GENERATED ALWAYS AS (coalesce(\(unreadable), false)) STORED"]
        return [
            "ALTER TABLE wb_report_rows " + report.joined(separator: ", "),
            """
            ALTER TABLE wb_orders
              ADD COLUMN k_price bigint GENERATED ALWAYS AS (\(units(["priceWithDisc"]))) STORED,
              ADD COLUMN k_cancel boolean GENERATED ALWAYS AS (coalesce(doc->'isCancel' = 'true'::jsonb, false)) STORED
            """,
        ]
    }
}
