import Foundation
import Logging
import PostgresNIO

/// Users, roles and article assignments in PostgreSQL. The API's instance runs as the `joycity_api` database role,
/// so the ADMIN guard in the database refuses what it must; only ``AdminPath`` (the CLI, as the owner) may change ADMIN.
public struct UserStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        u.id, u.login, u.email, u.name, u.account_id, u.avatar_key IS NOT NULL, u.disabled, u.created_at, u.updated_at,
        coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '{}')
        """

    static func decode(_ row: PostgresRow) throws -> User {
        let (id, login, email, name, account, hasAvatar, disabled, created, updated, roles) = try row.decode(
            (Int64, String, String?, String, Int64?, Bool, Bool, Date, Date, [String]).self
        )
        return User(
            id: id,
            login: login,
            email: email,
            name: name,
            roles: roles.compactMap(UserRole.init(rawValue:)).sorted(),
            accountId: account,
            avatarUrl: hasAvatar ? "/api/users/\(id)/avatar" : nil,
            disabled: disabled,
            createdAt: created,
            updatedAt: updated
        )
    }

    /// Every user, by id.
    public func list() async throws -> [User] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM users u ORDER BY u.id"), logger: logger)
        var users: [User] = []
        for try await row in rows { users.append(try Self.decode(row)) }
        return users
    }

    /// One user.
    /// - Throws: ``StoreError`` notFound.
    public func user(id: Int64) async throws -> User {
        var binds = PostgresBindings()
        binds.append(id)
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM users u WHERE u.id = $1", binds: binds),
            logger: logger
        )
        for try await row in rows { return try Self.decode(row) }
        throw StoreError(.notFound, "there is no user \(id)")
    }

    /// The password hash and state of the user signing in as `identifier` (login or email, any case).
    public func credentials(identifier: String) async throws -> (id: Int64, hash: String, disabled: Bool)? {
        let key = identifier.lowercased()
        let rows = try await client.query(
            "SELECT id, password_hash, disabled FROM users WHERE login = \(key) OR lower(email) = \(key) ORDER BY (login = \(key)) DESC LIMIT 1",
            logger: logger
        )
        for try await (id, hash, disabled) in rows.decode((Int64, String, Bool).self) { return (id, hash, disabled) }
        return nil
    }

    /// The password hash of user `id`.
    public func passwordHash(id: Int64) async throws -> String {
        let rows = try await client.query("SELECT password_hash FROM users WHERE id = \(id)", logger: logger)
        for try await hash in rows.decode(String.self) { return hash }
        throw StoreError(.notFound, "there is no user \(id)")
    }

    /// Creates a user with `roles` (ADMIN is refused by the database unless this runs on the CLI's path).
    /// - Throws: ``StoreError`` alreadyExists for a login or email in use, protected for ADMIN, invalidInput for values the schema refuses.
    public func create(login: String, email: String?, name: String, passwordHash: String, roles: [UserRole], accountID: Int64?) async throws -> User {
        let id: Int64
        do {
            id = try await client.withTransaction(logger: logger) { connection in
                try await Self.insert(
                    connection,
                    login: login,
                    email: email,
                    name: name,
                    passwordHash: passwordHash,
                    roles: roles,
                    accountID: accountID,
                    logger: logger
                )
            }
        } catch {
            throw StoreError.statement(error, conflict: "a user with login '\(login)' or that email already exists")
        }
        return try await user(id: id)
    }

    static func insert(
        _ connection: PostgresConnection,
        login: String,
        email: String?,
        name: String,
        passwordHash: String,
        roles: [UserRole],
        accountID: Int64?,
        logger: Logger
    ) async throws -> Int64 {
        let rows = try await connection.query(
            """
            INSERT INTO users (login, email, name, password_hash, account_id)
            VALUES (\(login), \(email), \(name), \(passwordHash), \(accountID)) RETURNING id
            """,
            logger: logger
        )
        var id: Int64 = 0
        for try await value in rows.decode(Int64.self) { id = value }
        for role in Set(roles) { try await grant(connection, userID: id, role: role.rawValue, logger: logger) }
        return id
    }

    /// Gives `userID` `role` unless it holds it already. (Only then: the ADMIN guard is a row trigger, which fires
    /// before `ON CONFLICT DO NOTHING` would skip the row.)
    static func grant(_ connection: PostgresConnection, userID: Int64, role: String, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO user_roles (user_id, role) SELECT \(userID), \(role)
            WHERE NOT EXISTS (SELECT 1 FROM user_roles WHERE user_id = \(userID) AND role = \(role))
            """,
            logger: logger
        )
    }

    /// What an update changes (nil: unchanged). `accountID` uses a double optional: `.some(nil)` clears it.
    public struct Changes: Sendable {
        public var name: String?
        public var email: String??
        public var roles: [UserRole]?
        public var accountID: Int64??
        public var disabled: Bool?
        public init(name: String? = nil, email: String?? = nil, roles: [UserRole]? = nil, accountID: Int64?? = nil, disabled: Bool? = nil) {
            self.name = name
            self.email = email
            self.roles = roles
            self.accountID = accountID
            self.disabled = disabled
        }
    }

    /// Applies `changes` to user `id` in one transaction.
    /// - Throws: ``StoreError`` notFound, protected (ADMIN), alreadyExists, invalidInput.
    public func update(id: Int64, _ changes: Changes) async throws -> User {
        do {
            try await client.withTransaction(logger: logger) { connection in
                let found = try await connection.query("SELECT id FROM users WHERE id = \(id) FOR UPDATE", logger: logger)
                var exists = false
                for try await _ in found { exists = true }
                guard exists else { throw StoreError(.notFound, "there is no user \(id)") }
                if let name = changes.name {
                    try await connection.query("UPDATE users SET name = \(name), updated_at = now() WHERE id = \(id)", logger: logger)
                }
                if let email = changes.email {
                    try await connection.query("UPDATE users SET email = \(email), updated_at = now() WHERE id = \(id)", logger: logger)
                }
                if let account = changes.accountID {
                    try await connection.query("UPDATE users SET account_id = \(account), updated_at = now() WHERE id = \(id)", logger: logger)
                }
                if let disabled = changes.disabled {
                    try await connection.query("UPDATE users SET disabled = \(disabled), updated_at = now() WHERE id = \(id)", logger: logger)
                }
                if let roles = changes.roles {
                    let wanted = Set(roles.map(\.rawValue)).sorted()
                    try await connection.query("DELETE FROM user_roles WHERE user_id = \(id) AND NOT (role = ANY(\(wanted)))", logger: logger)
                    for role in wanted { try await Self.grant(connection, userID: id, role: role, logger: logger) }
                    try await connection.query("UPDATE users SET updated_at = now() WHERE id = \(id)", logger: logger)
                }
            }
        } catch {
            throw StoreError.statement(error, conflict: "that email is already used by another user")
        }
        return try await user(id: id)
    }

    /// Deletes user `id` (their sessions and assignments go with them).
    /// - Throws: ``StoreError`` notFound, protected (an admin).
    public func delete(id: Int64) async throws {
        do {
            let rows = try await client.query("DELETE FROM users WHERE id = \(id) RETURNING id", logger: logger)
            var found = false
            for try await _ in rows { found = true }
            if !found { throw StoreError(.notFound, "there is no user \(id)") }
        } catch {
            throw StoreError.statement(error)
        }
    }

    /// Stores a new password hash.
    public func setPasswordHash(id: Int64, _ hash: String) async throws {
        try await client.query(
            "UPDATE users SET password_hash = \(hash), password_changed_at = now(), updated_at = now() WHERE id = \(id)",
            logger: logger
        )
    }

    /// Records the S3 key of the user's avatar and returns the previous one.
    public func setAvatarKey(id: Int64, _ key: String?) async throws -> String? {
        let rows = try await client.query(
            """
            UPDATE users u SET avatar_key = \(key), updated_at = now() FROM (SELECT avatar_key FROM users WHERE id = \(id) FOR UPDATE) old
            WHERE u.id = \(id) RETURNING old.avatar_key
            """,
            logger: logger
        )
        for try await old in rows.decode(String?.self) { return old }
        throw StoreError(.notFound, "there is no user \(id)")
    }

    /// The S3 key of the user's avatar.
    public func avatarKey(id: Int64) async throws -> String? {
        let rows = try await client.query("SELECT avatar_key FROM users WHERE id = \(id)", logger: logger)
        for try await key in rows.decode(String?.self) { return key }
        throw StoreError(.notFound, "there is no user \(id)")
    }
}
