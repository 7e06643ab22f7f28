/// Migration 6: an admin's credentials are guarded like the ADMIN grant.
///
/// Migration 5 refused deleting or disabling an admin but let `joycity_api` rewrite an admin's `password_hash`,
/// `login` or `email`: a role that can run SQL as the API could then sign in as the admin. From here on every change
/// of those columns (and of `disabled` either way) on a user who holds ADMIN passes only through the CLI path
/// (`joycity users create-admin`), like the grant itself.
enum AdminCredentialsGuard {
    static let statements = [
        """
        CREATE OR REPLACE FUNCTION joycity_guard_admin_user() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM user_roles WHERE user_id = OLD.id AND role = 'ADMIN') THEN
            IF TG_OP = 'DELETE' OR NEW.disabled IS DISTINCT FROM OLD.disabled OR NEW.id <> OLD.id THEN
              PERFORM joycity_require_admin_path('deleting, disabling or enabling an admin');
            ELSIF NEW.password_hash IS DISTINCT FROM OLD.password_hash OR NEW.login IS DISTINCT FROM OLD.login
              OR NEW.email IS DISTINCT FROM OLD.email THEN
              PERFORM joycity_require_admin_path('changing an admin''s password, login or email');
            END IF;
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END
        $$
        """
    ]
}
