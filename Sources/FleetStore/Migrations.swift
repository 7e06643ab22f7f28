/// One versioned schema change: statements run in order inside one transaction.
public struct Migration: Sendable {
    /// Applied in ascending order; never reuse or renumber.
    public let version: Int
    /// A short name shown in logs and errors.
    public let name: String
    /// SQL statements (one statement each: the extended protocol takes one at a time).
    public let statements: [String]

    /// Creates a migration.
    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

extension Migration {
    /// Every migration of the fleet's schema, oldest first. Append; never edit one that has shipped.
    public static let all: [Migration] = [
        Migration(
            version: 1,
            name: "seller accounts",
            statements: [
                """
                CREATE TABLE seller_accounts (
                  id bigserial PRIMARY KEY,
                  name text NOT NULL CHECK (length(btrim(name)) > 0),
                  inn text NOT NULL UNIQUE CHECK (inn ~ '^[0-9]{10}([0-9]{2})?$'),
                  wb_token bytea,
                  wb_token_key_id text,
                  portal_credentials bytea,
                  portal_credentials_key_id text,
                  wb_seller_id text,
                  wb_token_expires_at timestamptz,
                  report_source text NOT NULL DEFAULT 'statistics' CHECK (report_source IN ('statistics', 'finance')),
                  sync_enabled boolean NOT NULL DEFAULT true,
                  token_status text NOT NULL DEFAULT 'unchecked' CHECK (token_status IN ('unchecked', 'ok', 'invalid')),
                  token_error text,
                  last_sync_state text,
                  last_sync_error text,
                  last_sync_at timestamptz,
                  created_at timestamptz NOT NULL DEFAULT now(),
                  updated_at timestamptz NOT NULL DEFAULT now()
                )
                """
            ]
        ),
        Migration(
            version: 2,
            name: "raw WB data, cursors and sync runs",
            statements: [
                """
                CREATE TABLE wb_orders (
                  account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
                  srid text NOT NULL,
                  last_change_date timestamp NOT NULL,
                  order_date timestamp,
                  nm_id bigint,
                  doc jsonb NOT NULL,
                  synced_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (account_id, srid)
                )
                """,
                "CREATE INDEX wb_orders_nm ON wb_orders (account_id, nm_id)",
                """
                CREATE TABLE wb_sales (
                  account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
                  sale_id text NOT NULL,
                  srid text,
                  last_change_date timestamp NOT NULL,
                  sale_date timestamp,
                  nm_id bigint,
                  doc jsonb NOT NULL,
                  synced_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (account_id, sale_id)
                )
                """,
                "CREATE INDEX wb_sales_nm ON wb_sales (account_id, nm_id)",
                """
                CREATE TABLE wb_report_rows (
                  account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
                  rrd_id bigint NOT NULL,
                  realizationreport_id bigint,
                  rr_dt date,
                  nm_id bigint,
                  source text NOT NULL,
                  sync_run bigint NOT NULL,
                  doc jsonb NOT NULL,
                  synced_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (account_id, rrd_id)
                )
                """,
                "CREATE INDEX wb_report_rows_dt ON wb_report_rows (account_id, rr_dt)",
                """
                CREATE TABLE wb_stocks (
                  account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
                  warehouse_name text NOT NULL,
                  barcode text NOT NULL,
                  nm_id bigint,
                  last_change_date timestamp,
                  doc jsonb NOT NULL,
                  snapshot_run bigint NOT NULL,
                  synced_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (account_id, warehouse_name, barcode)
                )
                """,
                """
                CREATE TABLE wb_sync_cursors (
                  account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
                  dataset text NOT NULL,
                  cursor_ts timestamp,
                  cursor_text text,
                  window_from date,
                  window_to date,
                  rrd_id bigint NOT NULL DEFAULT 0,
                  run_id bigint,
                  completed_to date,
                  updated_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (account_id, dataset)
                )
                """,
                """
                CREATE TABLE wb_sync_runs (
                  id bigserial PRIMARY KEY,
                  account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
                  dataset text NOT NULL,
                  job_id text,
                  started_at timestamptz NOT NULL DEFAULT now(),
                  finished_at timestamptz,
                  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed', 'deferred', 'skipped')),
                  pages integer NOT NULL DEFAULT 0,
                  rows integer NOT NULL DEFAULT 0,
                  error text
                )
                """,
                "CREATE INDEX wb_sync_runs_account ON wb_sync_runs (account_id, dataset, started_at DESC)",
            ]
        ),
        Migration(
            version: 3,
            name: "lz4 compression of raw documents",
            statements: [
                // Raw WB rows are 1–3 kB of JSON: PostgreSQL compresses them when it stores them, and lz4 costs a
                // fraction of the default pglz. Servers built without lz4 keep pglz.
                """
                DO $$
                BEGIN
                  ALTER TABLE wb_orders ALTER COLUMN doc SET COMPRESSION lz4;
                  ALTER TABLE wb_sales ALTER COLUMN doc SET COMPRESSION lz4;
                  ALTER TABLE wb_report_rows ALTER COLUMN doc SET COMPRESSION lz4;
                  ALTER TABLE wb_stocks ALTER COLUMN doc SET COMPRESSION lz4;
                EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
                  RAISE NOTICE 'lz4 is not available; raw documents stay pglz-compressed';
                END
                $$
                """
            ]
        ),
        Migration(
            version: 4,
            name: "per-account sync interval and the backups table",
            statements: [
                """
                ALTER TABLE seller_accounts ADD COLUMN sync_interval_seconds integer
                  CHECK (sync_interval_seconds BETWEEN 60 AND 604800)
                """,
                """
                CREATE TABLE backups (
                  id bigserial PRIMARY KEY,
                  job_id text,
                  bucket text NOT NULL,
                  object_key text NOT NULL,
                  database_name text NOT NULL,
                  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'deleted')),
                  upload_id text,
                  bytes bigint NOT NULL DEFAULT 0,
                  parts integer NOT NULL DEFAULT 0,
                  sha256 text,
                  started_at timestamptz NOT NULL DEFAULT now(),
                  finished_at timestamptz,
                  deleted_at timestamptz,
                  error text
                )
                """,
                "CREATE INDEX backups_started ON backups (started_at DESC)",
                "CREATE UNIQUE INDEX backups_object ON backups (bucket, object_key)",
            ]
        ),
        Migration(
            version: 5,
            name: "users, roles, sessions and the API's database role",
            statements: UserSchema.statements
        ),
        Migration(version: 6, name: "an admin's credentials pass only through the CLI path", statements: AdminCredentialsGuard.statements),
        // The API's HMAC over each session (``SessionSeal``): a row it did not write refreshes into nothing. Rows
        // from before have none: their users sign in again once.
        Migration(
            version: 7,
            name: "sessions sealed by the API",
            statements: ["ALTER TABLE auth_sessions ADD COLUMN IF NOT EXISTS mac bytea, ADD COLUMN IF NOT EXISTS mac_kid text"]
        ),
        Migration(version: 8, name: "monthly article assignments and their audit", statements: AssignmentSchema.statements),
        // What the proxy edge last learned of an account's WB portal session: `unchecked` until it is used, `valid`
        // after WB renewed it, `invalid` (with WB's reason) once WB refused it — shown by the API and the UI.
        Migration(
            version: 9,
            name: "portal session state",
            statements: [
                """
                ALTER TABLE seller_accounts
                  ADD COLUMN IF NOT EXISTS portal_session_state text NOT NULL DEFAULT 'unchecked'
                    CHECK (portal_session_state IN ('unchecked', 'valid', 'invalid')),
                  ADD COLUMN IF NOT EXISTS portal_session_error text,
                  ADD COLUMN IF NOT EXISTS portal_session_checked_at timestamptz
                """
            ]
        ),
        Migration(version: 10, name: "KPI results, settings, targets and cost prices", statements: KPISchema.statements),
        Migration(version: 11, name: "the KPI's figures as typed columns of the synced rows", statements: KPIColumns.statements),
    ]
}
