import API
import AsyncHTTPClient
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

@Suite("ADMIN is protected by the database", .serialized)
struct AdminProtectionTests {
    @Test("through the API: granting, removing, disabling or deleting ADMIN is refused")
    func throughTheAPI() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            let create = try await api.call(
                .POST,
                "/api/users",
                token: admin.token,
                json: #"{"login":"evil","name":"Evil","password":"evil-password-1","roles":["ADMIN"]}"#
            )
            #expect(create.status == 403)
            #expect(create.errorMessage.contains("create-admin"))
            #expect(
                try await api.call(.PATCH, "/api/users/\(anna.userID)", token: admin.token, json: #"{"roles":["ADMIN","MANAGER"]}"#).status == 403
            )
            #expect(try await api.call(.PATCH, "/api/users/\(admin.userID)", token: admin.token, json: #"{"roles":["DIRECTOR"]}"#).status == 403)
            #expect(try await api.call(.PATCH, "/api/users/\(admin.userID)", token: admin.token, json: #"{"disabled":true}"#).status == 403)
            #expect(try await api.call(.DELETE, "/api/users/\(admin.userID)", token: admin.token).status == 403)
            // An admin's credentials change only on the server (the CLI), never through the API's database role.
            #expect(
                try await api.call(.PATCH, "/api/users/\(admin.userID)", token: admin.token, json: #"{"email":"new@example.test"}"#).status == 403
            )
            let password = try await api.call(
                .POST,
                "/api/auth/password",
                token: admin.token,
                json: #"{"currentPassword":"\#(APIHarness.adminPassword)","newPassword":"brand-new-password"}"#
            )
            #expect(password.status == 403 && password.errorMessage.contains("create-admin"))
            // Other changes to an admin are fine, and a non-ADMIN role change of an admin keeps ADMIN.
            #expect(
                try await api.call(.PATCH, "/api/users/\(admin.userID)", token: admin.token, json: #"{"roles":["ADMIN","SWAGGER"]}"#).status == 200
            )
            let users = try await UserStore(client: api.owner, logger: TestRedis.logger).list()
            #expect(users.first { $0.id == admin.userID }?.roles == [.admin, .swagger])
            #expect(users.first { $0.id == anna.userID }?.roles == [.manager])
        }
    }

    @Test("a forged request that skips the API's own checks is still refused: the store runs as joycity_api")
    func storeAsAPIRole() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            let client = api.apiRoleClient()
            try await client.withRunning { client in
                let store = UserStore(client: client, logger: TestRedis.logger)
                for attempt in [
                    { _ = try await store.update(id: anna.userID, .init(roles: [.admin])) },
                    { _ = try await store.update(id: admin.userID, .init(roles: [.director])) },
                    { _ = try await store.update(id: admin.userID, .init(disabled: true)) },
                    { try await store.delete(id: admin.userID) },
                    { _ = try await store.create(login: "evil", email: nil, name: "Evil", passwordHash: "x", roles: [.admin], accountID: nil) },
                ] as [@Sendable () async throws -> Void] {
                    do {
                        try await attempt()
                        Issue.record("the database let an ADMIN change through")
                    } catch let error as StoreError {
                        #expect(error.code == .protected)
                    }
                }
                // Ordinary writes work as that role.
                _ = try await store.update(id: anna.userID, .init(name: "Anna K", roles: [.manager, .analyst]))
            }
            let users = try await UserStore(client: api.owner, logger: TestRedis.logger).list()
            #expect(users.filter { $0.roles.contains(.admin) }.map(\.id) == [admin.userID])
            #expect(users.first { $0.id == anna.userID }?.roles == [.manager, .analyst])
        }
    }

    @Test(
        "plain SQL as joycity_api: INSERT, UPDATE, DELETE of ADMIN, deleting or disabling an admin, TRUNCATE — all refused, even with the CLI's setting"
    )
    func plainSQL() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            let client = api.apiRoleClient()
            try await client.withRunning { client in
                let role = try await client.query("SELECT current_user::text", logger: TestRedis.logger)
                for try await name in role.decode(String.self) { #expect(name == "joycity_api") }
                let statements: [PostgresQuery] = [
                    "INSERT INTO user_roles (user_id, role) VALUES (\(anna.userID), 'ADMIN')",
                    "UPDATE user_roles SET role = 'DIRECTOR' WHERE user_id = \(admin.userID) AND role = 'ADMIN'",
                    "UPDATE user_roles SET user_id = \(anna.userID) WHERE user_id = \(admin.userID) AND role = 'ADMIN'",
                    "DELETE FROM user_roles WHERE role = 'ADMIN'",
                    "DELETE FROM users WHERE id = \(admin.userID)",
                    "UPDATE users SET disabled = true WHERE id = \(admin.userID)",
                    "UPDATE users SET password_hash = 'attacker-known-hash' WHERE id = \(admin.userID)",
                    "UPDATE users SET login = 'taken-over' WHERE id = \(admin.userID)",
                    "UPDATE users SET email = 'attacker@example.com' WHERE id = \(admin.userID)",
                    "TRUNCATE user_roles",
                    "TRUNCATE users CASCADE",
                    "ALTER TABLE user_roles DISABLE TRIGGER user_roles_admin_guard",
                ]
                for statement in statements {
                    do {
                        try await client.withTransaction(logger: TestRedis.logger) { connection in
                            // Pretending to be the CLI does not help: the guard also wants the tables' owner.
                            try await connection.query("SELECT set_config('joycity.admin_path', 'cli', true)", logger: TestRedis.logger)
                            try await connection.query(statement, logger: TestRedis.logger)
                        }
                        Issue.record("allowed as joycity_api: \(statement.sql)")
                    } catch let error as PostgresTransactionError {
                        let inner = error.closureError as? PSQLError
                        #expect(inner?.sqlState == "42501", "\(statement.sql): \(inner?.serverMessage ?? String(reflecting: error))")
                    }
                }
            }
            let admins = try await api.owner.query("SELECT count(*) FROM user_roles WHERE role = 'ADMIN'", logger: TestRedis.logger)
            for try await count in admins.decode(Int.self) { #expect(count == 1) }
        }
    }

    @Test("the owner without the CLI's setting is refused too; the CLI path grants and revokes")
    func cliPath() async throws {
        try await APIHarness.run { api in
            _ = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            do {
                try await api.owner.query("INSERT INTO user_roles (user_id, role) VALUES (\(anna.userID), 'ADMIN')", logger: TestRedis.logger)
                Issue.record("the owner granted ADMIN without the CLI path")
            } catch let error as PSQLError {
                #expect(error.sqlState == "42501")
            }
            let granted = try await AdminPath.createAdmin(
                client: api.owner,
                login: "anna",
                email: nil,
                name: "anna",
                passwordHash: nil,
                logger: TestRedis.logger
            )
            #expect(!granted.created)
            #expect(granted.user.roles.contains(.admin))
            try await AdminPath.revokeAdmin(client: api.owner, login: "anna", logger: TestRedis.logger)
            #expect(try await UserStore(client: api.owner, logger: TestRedis.logger).user(id: anna.userID).roles == [.manager])
            await #expect(throws: StoreError.self) { try await AdminPath.revokeAdmin(client: api.owner, login: "anna", logger: TestRedis.logger) }
        }
    }

    @Test("the server-side admin paths end the user's sessions at once: revoke-admin, and a password reset with create-admin")
    func cliPathsEvict() async throws {
        try await APIHarness.run { api in
            let root = try await api.admin()
            let boss = try await api.user("boss", [.director])
            _ = try await AdminPath.createAdmin(
                client: api.owner,
                login: "boss",
                email: nil,
                name: "Boss",
                passwordHash: nil,
                logger: TestRedis.logger
            )
            // Both tokens are checked (and cached) before the CLI runs.
            #expect(try await api.call(.GET, "/api/auth/me", token: boss.token).status == 200)
            #expect(try await api.call(.GET, "/api/users", token: root.token).status == 200)
            let environment = api.environment.merging(["JOYCITY_ADMIN_PASSWORD": "a-brand-new-password"]) { $1 }

            let revoke = try FleetProcess(["users", "revoke-admin", "boss"], environment: environment)
            #expect(await revoke.waitForExit(timeout: .seconds(60)) == 0, "\(revoke.output)")
            #expect(try await api.call(.GET, "/api/auth/me", token: boss.token).status == 401, "the old token stopped at once")
            #expect(try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(boss.refresh)"}"#).status == 401)

            let reset = try FleetProcess(["users", "create-admin", "root"], environment: environment)
            #expect(await reset.waitForExit(timeout: .seconds(60)) == 0, "\(reset.output)")
            #expect(try await api.call(.GET, "/api/users", token: root.token).status == 401, "the compromised admin's token stopped")
            #expect(try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(root.refresh)"}"#).status == 401)
            #expect(try await api.login("root", "a-brand-new-password").userID == root.userID)
        }
    }

    @Test("the API can log in as joycity_api itself (users api-login): RESET ROLE leads nowhere, and the guard holds")
    func ownDatabaseLogin() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let password = "api-login-password-\(Int.random(in: 1000...9999))"
            let cli = try FleetProcess(["users", "api-login"], environment: api.environment.merging(["JOYCITY_API_DB_PASSWORD": password]) { $1 })
            #expect(await cli.waitForExit(timeout: .seconds(60)) == 0, "\(cli.output)")
            var login = api.database
            login.username = "joycity_api"
            login.password = password
            login.role = nil
            // A second API over the same database, logged in as joycity_api with no role switch.
            let capture = LogCapture()
            let port = Mutex<Int?>(nil)
            let environment = api.environment.merging([
                "API_DATABASE_URL": TestPostgres.url(login), "API_DATABASE_ROLE": "", "API_MIGRATE": "false", "API_PORT": "0",
            ]) { $1 }
            let second = try await APIServer.make(
                environment: EnvironmentReader(values: environment),
                logger: capture.logger,
                onRunning: { bound in port.withLock { $0 = bound } }
            )
            let group = ServiceGroup(configuration: .init(services: second.services, gracefulShutdownSignals: [], logger: TestRedis.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(await eventually(timeout: .seconds(30)) { port.withLock { $0 } != nil })
                let base = "http://127.0.0.1:\(port.withLock { $0 } ?? 0)"
                var request = HTTPClientRequest(url: base + "/api/users")
                request.headers.add(name: "Authorization", value: "Bearer \(admin.token)")
                #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code == 200)
                var patch = HTTPClientRequest(url: base + "/api/users/\(admin.userID)")
                patch.method = .PATCH
                patch.headers.add(name: "Authorization", value: "Bearer \(admin.token)")
                patch.headers.add(name: "Content-Type", value: "application/json")
                patch.body = .bytes(ByteBuffer(string: #"{"email":"new@example.test"}"#))
                #expect(try await HTTPClient.shared.execute(patch, timeout: .seconds(10)).status.code == 403)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(!capture.messages.contains { $0.contains("RESET ROLE") }, "no warning for its own login")
            // The same login: RESET ROLE leaves it joycity_api, without superuser rights, and the guard refuses it.
            try await login.withClient(logger: TestRedis.logger) { client in
                try await client.query("RESET ROLE", logger: TestRedis.logger)
                let rows = try await client.query(
                    "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
                    logger: TestRedis.logger
                )
                for try await (user, superuser) in rows.decode((String, Bool).self) {
                    #expect(user == "joycity_api" && !superuser)
                }
                do {
                    try await client.query("DELETE FROM user_roles WHERE role = 'ADMIN'", logger: TestRedis.logger)
                    Issue.record("joycity_api removed ADMIN")
                } catch let error as PSQLError {
                    #expect(error.sqlState == "42501")
                }
            }
        }
    }

    @Test("a session row the API did not write refreshes into nothing: forged for an admin as joycity_api, or its hash swapped")
    func forgedSessionRows() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            func refresh(_ token: String) async throws -> Int {
                try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(token)"}"#).status
            }
            let forged = "rt1.forged-by-sql-\(Int.random(in: 1000...9999))"
            let swapped = "rt1.swapped-by-sql-\(Int.random(in: 1000...9999))"
            try await api.apiRoleClient().withRunning { client in
                try await client.query(
                    """
                    INSERT INTO auth_sessions (id, user_id, refresh_hash, expires_at)
                    VALUES (\(UUID()), \(admin.userID), \(ByteBuffer(bytes: TokenIssuer.hash(refreshToken: forged))), now() + interval '1 day')
                    """,
                    logger: TestRedis.logger
                )
                try await client.query(
                    """
                    UPDATE auth_sessions SET refresh_hash = \(ByteBuffer(bytes: TokenIssuer.hash(refreshToken: swapped)))
                    WHERE user_id = \(admin.userID) AND mac IS NOT NULL
                    """,
                    logger: TestRedis.logger
                )
            }
            #expect(try await refresh(forged) == 401, "an inserted row")
            #expect(try await refresh(swapped) == 401, "a real row with a refresh hash someone chose")
            // The API's own sessions refresh as before.
            let fresh = try await api.login("root", APIHarness.adminPassword)
            #expect(try await refresh(fresh.refresh) == 200)
        }
    }
}
