/// Migration 5: users, their roles and sessions, article assignments, and `joycity_api`, the database role the API
/// serves with.
///
/// ADMIN is guarded in the database itself: triggers refuse any change that grants or removes ADMIN, deletes or
/// disables an admin, unless the statement runs as the tables' owner (or a superuser) inside a transaction that set
/// `joycity.admin_path = 'cli'` (what `joycity users create-admin` does). The API runs as `joycity_api`
/// (`API_DATABASE_ROLE`), which owns nothing, so neither a forged request nor plain SQL as that role can do it.
enum UserSchema {
    /// The role names the `user_roles` check accepts (``UserRole`` in the API mirrors it).
    static let roles = [
        "ADMIN", "DIRECTOR", "HEAD_OF_SALES", "MANAGER", "LOGISTICIAN", "ANALYST", "ACCOUNTANT", "CONTENT_MANAGER",
        "SUPPORT", "SWAGGER", "OPS",
    ]

    static var statements: [String] {
        let roleList = roles.map { "'\($0)'" }.joined(separator: ", ")
        return [
            """
            CREATE TABLE users (
              id bigserial PRIMARY KEY,
              login text NOT NULL CHECK (login ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
              email text CHECK (email IS NULL OR (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
              name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
              password_hash text NOT NULL,
              account_id bigint REFERENCES seller_accounts (id) ON DELETE SET NULL,
              avatar_key text,
              disabled boolean NOT NULL DEFAULT false,
              password_changed_at timestamptz NOT NULL DEFAULT now(),
              created_at timestamptz NOT NULL DEFAULT now(),
              updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE UNIQUE INDEX users_login ON users (login)",
            "CREATE UNIQUE INDEX users_email ON users (lower(email))",
            """
            CREATE TABLE user_roles (
              user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              role text NOT NULL CHECK (role IN (\(roleList))),
              PRIMARY KEY (user_id, role)
            )
            """,
            """
            CREATE TABLE article_assignments (
              user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              account_id bigint NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
              nm_id bigint NOT NULL CHECK (nm_id > 0),
              PRIMARY KEY (user_id, account_id, nm_id)
            )
            """,
            """
            CREATE TABLE auth_sessions (
              id uuid PRIMARY KEY,
              user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              refresh_hash bytea NOT NULL UNIQUE,
              generation integer NOT NULL DEFAULT 0,
              device text,
              ip text,
              created_at timestamptz NOT NULL DEFAULT now(),
              last_used_at timestamptz NOT NULL DEFAULT now(),
              expires_at timestamptz NOT NULL,
              revoked_at timestamptz,
              revoked_reason text
            )
            """,
            "CREATE INDEX auth_sessions_user ON auth_sessions (user_id, created_at DESC)",
            // Every refresh token a session has rotated away from: presenting one again is theft (or a replay).
            """
            CREATE TABLE auth_refresh_rotated (
              hash bytea PRIMARY KEY,
              session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
              rotated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "ALTER TABLE seller_accounts ADD COLUMN wb_token_hint text",
            // Raises unless the statement runs as the tables' owner (or a superuser) in a transaction that set
            // joycity.admin_path = 'cli': the one check behind every guard below.
            """
            CREATE FUNCTION joycity_require_admin_path(what text) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
              IF coalesce(current_setting('joycity.admin_path', true), '') = 'cli'
                AND (
                  EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper)
                  OR current_user = (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'users')
                ) THEN
                RETURN;
              END IF;
              RAISE EXCEPTION 'ADMIN is protected: % is refused', what
                USING ERRCODE = 'insufficient_privilege', HINT = 'use joycity users create-admin';
            END
            $$
            """,
            """
            CREATE FUNCTION joycity_guard_admin_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM joycity_require_admin_path(TG_OP || ' of ' || TG_TABLE_NAME);
              RETURN NULL;
            END
            $$
            """,
            """
            CREATE FUNCTION joycity_guard_admin_role() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF ((TG_OP IN ('INSERT', 'UPDATE') AND NEW.role = 'ADMIN') OR (TG_OP IN ('UPDATE', 'DELETE') AND OLD.role = 'ADMIN'))
                AND NOT (TG_OP = 'UPDATE' AND NEW.role = OLD.role AND NEW.user_id = OLD.user_id) THEN
                PERFORM joycity_require_admin_path('granting or removing ADMIN');
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END
            $$
            """,
            """
            CREATE FUNCTION joycity_guard_admin_user() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM user_roles WHERE user_id = OLD.id AND role = 'ADMIN')
                AND (TG_OP = 'DELETE' OR (NEW.disabled AND NOT OLD.disabled) OR NEW.id <> OLD.id) THEN
                PERFORM joycity_require_admin_path('deleting or disabling an admin');
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER user_roles_admin_guard BEFORE INSERT OR UPDATE OR DELETE ON user_roles
              FOR EACH ROW EXECUTE FUNCTION joycity_guard_admin_role()
            """,
            """
            CREATE TRIGGER user_roles_admin_guard_truncate BEFORE TRUNCATE ON user_roles
              FOR EACH STATEMENT EXECUTE FUNCTION joycity_guard_admin_truncate()
            """,
            """
            CREATE TRIGGER users_admin_guard BEFORE UPDATE OR DELETE ON users
              FOR EACH ROW EXECUTE FUNCTION joycity_guard_admin_user()
            """,
            """
            CREATE TRIGGER users_admin_guard_truncate BEFORE TRUNCATE ON users
              FOR EACH STATEMENT EXECUTE FUNCTION joycity_guard_admin_truncate()
            """,
            // The API's role: owns nothing, may only read and write rows. Roles are per cluster; two databases
            // migrating at once may race to create it.
            """
            DO $$
            BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'joycity_api') THEN
                CREATE ROLE joycity_api NOLOGIN;
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
              NULL;
            END
            $$
            """,
            // The owner may switch to it (what the API does when it connects with DATABASE_URL).
            """
            DO $$
            BEGIN
              EXECUTE format('GRANT joycity_api TO %I', current_user);
            EXCEPTION WHEN OTHERS THEN
              RAISE NOTICE 'could not grant joycity_api to %; give the API a login that is a member of joycity_api', current_user;
            END
            $$
            """,
            "GRANT USAGE ON SCHEMA public TO joycity_api",
            """
            GRANT SELECT, INSERT, UPDATE, DELETE ON users, user_roles, article_assignments, auth_sessions,
              auth_refresh_rotated, seller_accounts TO joycity_api
            """,
            "GRANT SELECT ON backups, schema_migrations, wb_sync_runs, wb_sync_cursors TO joycity_api",
            "GRANT USAGE, SELECT ON SEQUENCE users_id_seq, seller_accounts_id_seq TO joycity_api",
        ]
    }
}
