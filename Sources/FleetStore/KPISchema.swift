/// Migration 10: KPI results, their settings, monthly targets and cost prices.
///
/// - `kpi_article_facts`: a computed month's figures per article (nm_id 0: the rows without an article), in units
///   of 0.0001 (see `KPIFigures`), as the computation read them.
/// - `kpi_results`: one row per person (user_id 0: the unassigned remainder) with the figures, score and rank, and
///   the articles that made them.
/// - `kpi_months`: the latest computation of each month (when, the data watermark and fingerprint it reflects);
///   `kpi_runs` keeps every computation (the history).
/// - `kpi_settings`, `kpi_targets`, `cost_prices`: what admins, directors and heads of sales set (the API may write
///   these; it only reads the results, which the workers write).
///
/// The date indexes (covering `synced_at`) let a recompute tell cheaply whether a month's data changed.
enum KPISchema {
    static var statements: [String] {
        [
            "CREATE INDEX wb_orders_date ON wb_orders (account_id, order_date) INCLUDE (synced_at)",
            "CREATE INDEX wb_sales_date ON wb_sales (account_id, sale_date) INCLUDE (synced_at)",
            "DROP INDEX wb_report_rows_dt",
            "CREATE INDEX wb_report_rows_dt ON wb_report_rows (account_id, rr_dt) INCLUDE (synced_at)",
            // A WB money value: a JSON number, or a string with a dot or comma decimal separator (finance-api);
            // anything else is NULL (and counted as unreadable by the computation). Inlined by the planner.
            """
            CREATE FUNCTION joycity_money(v jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
              SELECT CASE jsonb_typeof(v)
                WHEN 'number' THEN v::numeric
                WHEN 'string' THEN CASE WHEN btrim(v #>> '{}') ~ '^-?[0-9]+([.,][0-9]+)?$' THEN replace(btrim(v #>> '{}'), ',', '.')::numeric END
              END
            $$
            """,
            """
            CREATE TABLE kpi_settings (
              account_id bigint PRIMARY KEY REFERENCES seller_accounts (id) ON DELETE CASCADE,
              weights jsonb NOT NULL,
              updated_by text NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE kpi_targets (
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              month date NOT NULL CHECK (extract(day FROM month) = 1),
              user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              metric text NOT NULL,
              target numeric NOT NULL CHECK (target > 0),
              updated_by text NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (account_id, month, user_id, metric)
            )
            """,
            """
            CREATE TABLE cost_prices (
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              nm_id bigint NOT NULL CHECK (nm_id > 0),
              cost numeric(14, 4) NOT NULL CHECK (cost >= 0),
              updated_by text NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (account_id, nm_id)
            )
            """,
            """
            CREATE TABLE kpi_article_facts (
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              month date NOT NULL,
              nm_id bigint NOT NULL,
              units bigint[] NOT NULL,
              PRIMARY KEY (account_id, month, nm_id)
            )
            """,
            """
            CREATE TABLE kpi_results (
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              month date NOT NULL,
              user_id bigint NOT NULL,
              rank integer,
              row_doc jsonb NOT NULL,
              articles jsonb NOT NULL,
              PRIMARY KEY (account_id, month, user_id)
            )
            """,
            """
            CREATE TABLE kpi_months (
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              month date NOT NULL,
              computed_at timestamptz NOT NULL,
              data_watermark timestamptz,
              fingerprint text NOT NULL,
              totals bigint[] NOT NULL,
              settings jsonb NOT NULL,
              source_rows jsonb NOT NULL,
              PRIMARY KEY (account_id, month)
            )
            """,
            """
            CREATE TABLE kpi_runs (
              id bigserial PRIMARY KEY,
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              month date NOT NULL,
              computed_at timestamptz NOT NULL DEFAULT now(),
              data_watermark timestamptz,
              fingerprint text NOT NULL,
              duration_ms integer NOT NULL,
              trigger text NOT NULL,
              job_id text,
              totals bigint[] NOT NULL,
              changed boolean NOT NULL
            )
            """,
            "CREATE INDEX kpi_runs_month ON kpi_runs (account_id, month, id DESC)",
            "GRANT SELECT ON kpi_article_facts, kpi_results, kpi_months, kpi_runs TO joycity_api",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON kpi_settings, kpi_targets, cost_prices TO joycity_api",
        ]
    }
}
