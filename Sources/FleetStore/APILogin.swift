import Foundation
import Logging
import PostgresNIO

/// The API's own database login. Logging in as the owner (or a superuser) and switching to `joycity_api` leaves a
/// way back (`RESET ROLE`); logging in *as* `joycity_api` leaves none, so no statement of the API can run with more
/// rights than the role has.
public enum APILogin {
    /// Lets `joycity_api` log in with `password` (run as the tables' owner: `joycity users api-login`).
    /// - Throws: ``StoreError`` `invalidInput` for an unusable password; `protected` when this login may not alter
    ///   roles.
    public static func enable(client: PostgresClient, password: String, logger: Logger) async throws {
        guard password.count >= 16, !password.utf8.contains(0) else {
            throw StoreError(.invalidInput, "the API's database password needs at least 16 characters (and no NUL)")
        }
        // ALTER ROLE takes no bind parameters: a literal, with quotes doubled.
        let literal = "'" + password.replacingOccurrences(of: "'", with: "''") + "'"
        do {
            try await client.query(PostgresQuery(unsafeSQL: "ALTER ROLE joycity_api WITH LOGIN PASSWORD \(literal)"), logger: logger)
        } catch {
            throw StoreError.statement(error)
        }
    }

    /// What the login of `client` may do beyond its role: `superuser` or `bypassRLS`, and its name.
    public static func privileges(client: PostgresClient, logger: Logger) async throws -> (login: String, superuser: Bool, member: [String]) {
        let rows = try await client.query(
            """
            SELECT session_user::text, r.rolsuper,
              coalesce((SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                        WHERE m.member = r.oid), '{}')
            FROM pg_roles r WHERE r.rolname = session_user
            """,
            logger: logger
        )
        for try await (login, superuser, member) in rows.decode((String, Bool, [String]).self) { return (login, superuser, member) }
        return ("?", false, [])
    }
}
