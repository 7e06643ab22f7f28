import Foundation
import Logging
import PostgresNIO

/// The only way to grant or remove ADMIN: statements run as the tables' owner (the CLI's `DATABASE_URL`) inside a
/// transaction that sets `joycity.admin_path = 'cli'`, which the database guard (migration 5) requires.
public enum AdminPath {
    /// Creates user `login` with ADMIN, or grants ADMIN to the existing user (and, with a password, resets it).
    /// - Returns: the user and whether it was created.
    /// - Throws: ``StoreError`` invalidInput for values the schema refuses; protected when the connection is not privileged.
    public static func createAdmin(
        client: PostgresClient,
        login: String,
        email: String?,
        name: String,
        passwordHash: String?,
        logger: Logger
    ) async throws -> (user: User, created: Bool) {
        let login = login.lowercased()
        let outcome: (Int64, Bool)
        do {
            outcome = try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT set_config('joycity.admin_path', 'cli', true)", logger: logger)
                let rows = try await connection.query("SELECT id FROM users WHERE login = \(login) FOR UPDATE", logger: logger)
                var existing: Int64?
                for try await id in rows.decode(Int64.self) { existing = id }
                if let id = existing {
                    if let passwordHash {
                        try await connection.query(
                            "UPDATE users SET password_hash = \(passwordHash), password_changed_at = now(), disabled = false, updated_at = now() WHERE id = \(id)",
                            logger: logger
                        )
                    }
                    try await UserStore.grant(connection, userID: id, role: UserRole.admin.rawValue, logger: logger)
                    return (id, false)
                }
                guard let passwordHash else { throw StoreError(.invalidInput, "user '\(login)' does not exist yet: give a password to create it") }
                let id = try await UserStore.insert(
                    connection,
                    login: login,
                    email: email,
                    name: name,
                    passwordHash: passwordHash,
                    roles: [.admin],
                    accountID: nil,
                    logger: logger
                )
                return (id, true)
            }
        } catch {
            throw StoreError.statement(error, conflict: "another user already has that email")
        }
        return (try await UserStore(client: client, logger: logger).user(id: outcome.0), outcome.1)
    }

    /// Removes ADMIN from user `login`.
    /// - Throws: ``StoreError`` notFound when there is no such admin.
    /// - Returns: the user's id.
    @discardableResult
    public static func revokeAdmin(client: PostgresClient, login: String, logger: Logger) async throws -> Int64 {
        let login = login.lowercased()
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT set_config('joycity.admin_path', 'cli', true)", logger: logger)
                let rows = try await connection.query(
                    "DELETE FROM user_roles r USING users u WHERE r.user_id = u.id AND u.login = \(login) AND r.role = 'ADMIN' RETURNING u.id",
                    logger: logger
                )
                var found: Int64?
                for try await id in rows.decode(Int64.self) { found = id }
                guard let found else { throw StoreError(.notFound, "'\(login)' is not an admin") }
                return found
            }
        } catch {
            throw StoreError.statement(error)
        }
    }
}
