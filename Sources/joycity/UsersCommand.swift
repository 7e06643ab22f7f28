import API
import ArgumentParser
import FleetAuth
import FleetCore
import FleetStore
import Foundation
import Logging
import PostgresNIO

/// `joycity users …`: the privileged path for ADMIN (the database refuses it from anywhere else).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Create admins, revoke ADMIN, list users: the server-side path the database trusts.",
        subcommands: [UsersCreateAdmin.self, UsersRevokeAdmin.self, UsersList.self]
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
            try await AdminPath.revokeAdmin(client: handle.client, login: login, logger: handle.logger)
            print("\(login.lowercased()) is no longer an admin")
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
