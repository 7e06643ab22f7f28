/// Migration 8: monthly article assignments and their audit.
///
/// An assignment is (account, month, nmId) → one user by default: in an account without `shared_articles` a
/// statement-level trigger refuses a second user for an article in the same month (the store checks first, under
/// the month's advisory lock, and names the holder; the trigger holds for any other writer). An account with
/// `shared_articles` lets several managers hold one article. The audit keeps every change; `joycity_api` may add to it and mark an entry
/// published (the invalidation outbox), never change or delete what it says. The flat per-user sets of migration 5
/// move into the month it is in Moscow when the migration runs; where two users of one account held the same nmId
/// the lower user id keeps it, and the old table stays, renamed, so nothing is lost.
enum AssignmentSchema {
    static let moscowMonth = "date_trunc('month', now() AT TIME ZONE 'Europe/Moscow')::date"

    static var statements: [String] {
        [
            "ALTER TABLE seller_accounts ADD COLUMN shared_articles boolean NOT NULL DEFAULT false",
            """
            CREATE TABLE assignments (
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              month date NOT NULL CHECK (extract(day FROM month) = 1),
              nm_id bigint NOT NULL CHECK (nm_id > 0),
              user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              forced boolean NOT NULL DEFAULT false,
              assigned_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (account_id, month, nm_id, user_id)
            )
            """,
            """
            CREATE FUNCTION joycity_assignments_exclusive() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
              clash record;
            BEGIN
              SELECT n.account_id, n.month, n.nm_id INTO clash
              FROM added n JOIN seller_accounts s ON s.id = n.account_id AND NOT s.shared_articles
              JOIN assignments a ON a.account_id = n.account_id AND a.month = n.month AND a.nm_id = n.nm_id AND a.user_id <> n.user_id
              LIMIT 1;
              IF FOUND THEN
                RAISE EXCEPTION 'nmId % of account % in % already has a manager', clash.nm_id, clash.account_id, to_char(clash.month, 'YYYY-MM')
                  USING ERRCODE = 'unique_violation', HINT = 'remove it from that manager first, or allow shared articles for the account';
              END IF;
              RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER assignments_exclusive AFTER INSERT ON assignments
              REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION joycity_assignments_exclusive()
            """,
            "CREATE INDEX assignments_user ON assignments (user_id, account_id, month)",
            """
            CREATE TABLE assignment_audit (
              id bigserial PRIMARY KEY,
              at timestamptz NOT NULL DEFAULT now(),
              actor_id bigint,
              actor text NOT NULL,
              account_id bigint NOT NULL,
              month date NOT NULL,
              user_id bigint,
              user_login text,
              added bigint[] NOT NULL DEFAULT '{}',
              removed bigint[] NOT NULL DEFAULT '{}',
              forced bigint[] NOT NULL DEFAULT '{}',
              source text NOT NULL CHECK (source IN ('api', 'import', 'copy', 'cli', 'migration')),
              comment text,
              published_at timestamptz
            )
            """,
            "CREATE INDEX assignment_audit_scope ON assignment_audit (account_id, month, id DESC)",
            "CREATE INDEX assignment_audit_unpublished ON assignment_audit (id) WHERE published_at IS NULL",
            "CREATE INDEX IF NOT EXISTS wb_report_rows_nm ON wb_report_rows (account_id, nm_id)",
            """
            INSERT INTO assignments (account_id, month, nm_id, user_id)
            SELECT DISTINCT ON (account_id, nm_id) account_id, \(moscowMonth), nm_id, user_id
            FROM article_assignments ORDER BY account_id, nm_id, user_id
            """,
            """
            INSERT INTO assignment_audit (actor, account_id, month, user_id, user_login, added, source, comment, published_at)
            SELECT 'migration', a.account_id, a.month, a.user_id, u.login, array_agg(a.nm_id ORDER BY a.nm_id), 'migration',
                   'moved from the per-user article sets', now()
            FROM assignments a JOIN users u ON u.id = a.user_id GROUP BY a.account_id, a.month, a.user_id, u.login
            """,
            "ALTER TABLE article_assignments RENAME TO article_assignments_before_months",
            // No UPDATE: rows are added and removed, never rewritten (the exclusivity trigger watches inserts).
            "GRANT SELECT, INSERT, DELETE ON assignments TO joycity_api",
            "GRANT SELECT, INSERT ON assignment_audit TO joycity_api",
            "GRANT UPDATE (published_at) ON assignment_audit TO joycity_api",
            "GRANT USAGE, SELECT ON SEQUENCE assignment_audit_id_seq TO joycity_api",
            "GRANT SELECT ON wb_orders, wb_sales, wb_report_rows TO joycity_api",
        ]
    }
}
