import API
import ArgumentParser
import FleetAuth
import FleetCore
import FleetStore
import Foundation
import Logging
import PostgresNIO
import Queue

/// `joycity users …`: the privileged path for ADMIN (the database refuses it from anywhere else).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Create admins, revoke ADMIN, list users: the server-side path the database trusts.",
        subcommands: [UsersCreateAdmin.self, UsersRevokeAdmin.self, UsersList.self, UsersAPILogin.self]
    )
}

/// Runs `body` with a migrated database as its owner (`DATABASE_URL`).
func withUsers(_ body: @Sendable (PostgresClientHandle) async throws -> Void) async {
    do {
        let environment = EnvironmentReader()
        let logger = Runtime.cliLogger("joycity.users")
        try await Runtime.withDatabase(environment: environment, logger: logger) { client in
            try await Migrator(client: client, logger: logger).migrate()
            try await body(PostgresClientHandle(client: client, logger: logger, environment: environment))
        }
    } catch {
        Runtime.fail(error)
    }
}

struct UsersCreateAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-admin",
        abstract: "Create an admin, or grant ADMIN to an existing user (and, with a password, reset it).",
        discussion: "The password is read from JOYCITY_ADMIN_PASSWORD, or from standard input (one line) with --password-stdin."
    )
    @Argument(help: "Login name (3–64 of a-z 0-9 . _ -).") var login: String
    @Option(help: "Email address.") var email: String?
    @Option(help: "Display name (default: the login).") var name: String?
    @Flag(help: "Read the password from standard input.") var passwordStdin = false

    func run() async throws {
        await withUsers { handle in
            var password = handle.environment.string("JOYCITY_ADMIN_PASSWORD")
            if passwordStdin { password = readLine(strippingNewline: true) }
            if let password { try PasswordHasher.validate(password) }
            let cost = try handle.environment.int("API_BCRYPT_COST", default: 12, range: 4...16)
            var hash: String?
            if let password { hash = try await PasswordHasher.hash(password, cost: cost) }
            let outcome = try await AdminPath.createAdmin(
                client: handle.client,
                login: login,
                email: email,
                name: name ?? login,
                passwordHash: hash,
                logger: handle.logger
            )
            if !outcome.created {
                // A new password ends every old session (a compromised admin's tokens must stop now); a new role
                // drops the cached checks so the next request sees it.
                if hash != nil {
                    let ended = try await endSessions(of: outcome.user.id, reason: "password reset with users create-admin", handle: handle)
                    print("ended \(ended) session(s) of \(outcome.user.login)")
                } else {
                    try await withSessionGate(handle) { try await $0.forgetSessions(ofUser: outcome.user.id) }
                }
            }
            print(
                outcome.created
                    ? "created admin \(outcome.user.login) (id \(outcome.user.id))" : "\(outcome.user.login) (id \(outcome.user.id)) is an admin"
            )
        }
    }
}

struct UsersRevokeAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke-admin", abstract: "Remove ADMIN from a user.")
    @Argument(help: "Login name.") var login: String

    func run() async throws {
        await withUsers { handle in
            let id = try await AdminPath.revokeAdmin(client: handle.client, login: login, logger: handle.logger)
            let ended = try await endSessions(of: id, reason: "ADMIN revoked with users revoke-admin", handle: handle)
            print("\(login.lowercased()) is no longer an admin; ended \(ended) session(s)")
        }
    }
}

struct UsersAPILogin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-login",
        abstract: "Let the database role joycity_api log in with a password, so the API can connect as it (API_DATABASE_URL).",
        discussion:
            "The password is read from JOYCITY_API_DB_PASSWORD, or from standard input (one line) with --password-stdin. Then run the API with API_DATABASE_URL=postgres://joycity_api:PASSWORD@HOST/DB and API_DATABASE_ROLE= (empty): no statement of it can regain the owner's rights."
    )
    @Flag(help: "Read the password from standard input.") var passwordStdin = false

    func run() async throws {
        let stdin = passwordStdin
        await withUsers { handle in
            var password = handle.environment.string("JOYCITY_API_DB_PASSWORD")
            if stdin { password = readLine(strippingNewline: true) }
            guard let password else {
                throw ConfigurationError(variable: "JOYCITY_API_DB_PASSWORD", value: "", expected: "the password (or --password-stdin)")
            }
            try await APILogin.enable(client: handle.client, password: password, logger: handle.logger)
            print("joycity_api may log in now; give the API API_DATABASE_URL=postgres://joycity_api:…@host/db and an empty API_DATABASE_ROLE")
        }
    }
}

struct UsersList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every user with roles.")
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        await withUsers { handle in
            let users = try await UserStore(client: handle.client, logger: handle.logger).list()
            if json { return try printJSON(users) }
            if users.isEmpty { return print("no users yet (joycity users create-admin LOGIN)") }
            for user in users {
                print(
                    "\(user.id)\t\(user.login)\t\(user.name)\t\(user.roles.map(\.rawValue).joined(separator: ","))\(user.disabled ? "\tdisabled" : "")"
                )
            }
        }
    }
}

/// What a `joycity users` subcommand works with.
struct PostgresClientHandle: Sendable {
    let client: PostgresClient
    let logger: Logger
    let environment: EnvironmentReader
}

/// Runs `body` with the session gate the API uses (Redis from `REDIS_URL`, keys under `QUEUE_PREFIX`).
func withSessionGate<T: Sendable>(_ handle: PostgresClientHandle, _ body: (SessionGate) async throws -> T) async throws -> T {
    let prefix = try StreamQueue.Configuration(environment: handle.environment).prefix
    let accessTTL = try handle.environment.duration("API_ACCESS_TTL", default: .seconds(7200), defaultUnit: .seconds)
    return try await Runtime.withRedis(environment: handle.environment, logger: handle.logger, name: "joycity-cli") { redis in
        let gate = SessionGate(
            redis: redis,
            prefix: prefix,
            sessions: SessionStore(client: handle.client, logger: handle.logger),
            users: UserStore(client: handle.client, logger: handle.logger),
            cacheTTL: .seconds(30),
            revokedTTL: accessTTL,
            logger: handle.logger
        )
        return try await body(gate)
    }
}

/// Ends every session of `userID` at once, as the API's own paths do: revoked in PostgreSQL (refresh tokens stop),
/// marked revoked in Redis (access tokens stop on every API replica, not after `API_SESSION_CACHE_TTL`).
/// - Returns: how many sessions ended.
func endSessions(of userID: Int64, reason: String, handle: PostgresClientHandle) async throws -> Int {
    try await withSessionGate(handle) { try await $0.revoke(userID: userID, reason: reason).count }
}
