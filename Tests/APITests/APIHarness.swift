import API
import AsyncHTTPClient
import FakeWB
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Queue
import S3
import ServiceLifecycle
import Synchronization
import Workers

/// A live API on a free port, over its own database, Redis prefix, S3 bucket and fake WB.
struct APIHarness: Sendable {
    let base: String
    let server: APIServer
    /// The owner's client (what migrations and `joycity users` use).
    let owner: PostgresClient
    let database: DatabaseConfiguration
    let fake: FakeWBState
    let environment: [String: String]
    let prefix: String

    static let jwtSecret = Data(repeating: 42, count: 32).base64EncodedString()
    static let internalSecret = "internal-secret-for-the-tests-0123456789"
    static let secretKeys = "test1:" + Data(repeating: 7, count: 32).base64EncodedString()
    static let origin = "https://app.example.test"
    static let adminPassword = "admin-password-1"

    /// Runs `body` against a fresh API. `extra` overrides the environment.
    static func run(
        _ extra: [String: String] = [:],
        waitReady: Bool = true,
        logger: Logger = TestRedis.logger,
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        var fakeConfiguration = FakeWBConfiguration()
        fakeConfiguration.port = 0
        fakeConfiguration.accounts = 2
        fakeConfiguration.days = 2
        fakeConfiguration.ordersPerDay = 2
        let fake = FakeWBState(configuration: fakeConfiguration)
        let s3 = try await TestS3.bucket()
        let (endpoint, keyID, secret) = try TestS3.credentials()
        try await FakeWBServer.withRunning(state: fake, logger: TestRedis.logger) { wbURL in
            try await TestPostgres.withDatabase { owner, database in
                let prefix = TestRedis.uniquePrefix("api")
                var environment: [String: String] = [
                    "REDIS_URL": try TestRedis.url().description, "DATABASE_URL": TestPostgres.url(database), "QUEUE_PREFIX": prefix,
                    "API_HOST": "127.0.0.1", "API_PORT": "0", "API_JWT_KEYS": "k1:\(jwtSecret)", "API_BCRYPT_COST": "4",
                    "JOYCITY_SECRET_KEYS": secretKeys, "API_INTERNAL_SECRET": internalSecret, "API_COOKIE_DOMAIN": ".example.test",
                    "API_ALLOWED_ORIGINS": origin, "API_LOGIN_LIMIT_ACCOUNT": "1000/1m:1000", "API_LOGIN_LIMIT_IP": "10000/1m:10000",
                    "API_LOGIN_LIMIT_ACCOUNT_GLOBAL": "10000/1m:10000",
                    "WB_STATISTICS_URL": wbURL, "WB_FINANCE_URL": wbURL, "S3_ENDPOINT": endpoint, "S3_BUCKET": s3.bucket,
                    "S3_ACCESS_KEY_ID": keyID, "S3_SECRET_ACCESS_KEY": secret, "LOG_LEVEL": "warning",
                    "API_METRICS_PORT": String(Int.random(in: 20_000...29_999)),  // below the ephemeral range (32768–60999)
                ]
                environment.merge(extra) { $1 }
                let port = Mutex<Int?>(nil)
                let server = try await APIServer.make(
                    environment: EnvironmentReader(values: environment),
                    logger: logger,
                    metrics: PrometheusExposition.registry,
                    onRunning: { bound in port.withLock { $0 = bound } }
                )
                let group = ServiceGroup(configuration: .init(services: server.services, gracefulShutdownSignals: [], logger: TestRedis.logger))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    let outcome: Result<Void, any Error>
                    if await eventually(timeout: .seconds(30), { port.withLock { $0 } != nil }), let bound = port.withLock({ $0 }) {
                        let harness = APIHarness(
                            base: "http://127.0.0.1:\(bound)",
                            server: server,
                            owner: owner,
                            database: database,
                            fake: fake,
                            environment: environment,
                            prefix: prefix
                        )
                        if waitReady { _ = await eventually(timeout: .seconds(30)) { (try? await harness.call(.GET, "/api/ready").status) == 200 } }
                        do { outcome = .success(try await body(harness)) } catch { outcome = .failure(error) }
                    } else {
                        outcome = .failure(TestSetupError("the API did not start"))
                    }
                    // Stop the way SIGTERM would, and wait for every service to finish.
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                    try outcome.get()
                }
                _ = try await TestRedis.withClient { try await $0.deleteKeys(matching: "\(prefix):*") }
            }
        }
    }

    /// An HTTP response, read whole.
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let bytes: [UInt8]
        var text: String { String(decoding: bytes, as: UTF8.self) }
        /// The body as a JSON object (or array wrapped under "items").
        var json: [String: Any] {
            let value = try? JSONSerialization.jsonObject(with: Data(bytes))
            if let object = value as? [String: Any] { return object }
            if let array = value as? [Any] { return ["items": array] }
            return [:]
        }
        var items: [[String: Any]] { (json["items"] as? [[String: Any]]) ?? [] }
        var errorMessage: String { ((json["error"] as? [String: Any])?["message"] as? String) ?? "" }
        var errorCode: String { ((json["error"] as? [String: Any])?["code"] as? String) ?? "" }
        /// `Set-Cookie` headers by cookie name.
        var setCookies: [String: String] {
            var result: [String: String] = [:]
            for header in headers["Set-Cookie"] { result[String(header.prefix { $0 != "=" })] = header }
            return result
        }
    }

    /// Sends a request. `token` goes as a bearer; `cookies` as a Cookie header.
    func call(
        _ method: HTTPMethod,
        _ path: String,
        token: String? = nil,
        cookies: String? = nil,
        json: String? = nil,
        bytes: [UInt8]? = nil,
        contentType: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let cookies { request.headers.add(name: "Cookie", value: cookies) }
        if let json {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        } else if let bytes {
            request.headers.add(name: "Content-Type", value: contentType ?? "image/jpeg")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, bytes: Array(body.readableBytesView))
    }

    /// A signed-in session.
    struct Session: Sendable {
        let token: String
        let refresh: String
        let userID: Int64
        /// The Cookie header a browser would send to the API.
        var cookieHeader: String { "joycity_access=\(token)" }
    }

    /// Signs in.
    func login(_ login: String, _ password: String, device: String? = nil) async throws -> Session {
        var body: [String: Any] = ["login": login, "password": password, "includeRefreshToken": true]
        if let device { body["device"] = device }
        let reply = try await call(.POST, "/api/auth/login", json: Self.jsonString(body))
        guard reply.status == 200, let token = reply.json["accessToken"] as? String, let refresh = reply.json["refreshToken"] as? String,
            let user = reply.json["user"] as? [String: Any], let id = (user["id"] as? NSNumber)?.int64Value
        else { throw TestSetupError("login of \(login) failed: \(reply.status) \(reply.text)") }
        return Session(token: token, refresh: refresh, userID: id)
    }

    /// Creates the first admin through the CLI's path and signs in.
    func admin() async throws -> Session {
        let hash = try await PasswordHasher.hash(Self.adminPassword, cost: 4)
        _ = try await AdminPath.createAdmin(
            client: owner,
            login: "root",
            email: "root@example.test",
            name: "Root",
            passwordHash: hash,
            logger: TestRedis.logger
        )
        return try await login("root", Self.adminPassword)
    }

    /// Registers a seller account through the API as `admin`, with the fake WB's token of `seller`.
    /// - Returns: the account's id.
    func account(_ admin: Session, name: String = "Shop", inn: String = "7701234567", seller: Int = 1) async throws -> Int64 {
        let reply = try await call(
            .POST,
            "/api/accounts",
            token: admin.token,
            json: Self.jsonString(["name": name, "inn": inn, "token": fake.token(seller: seller)])
        )
        guard reply.status == 201, let id = (reply.json["id"] as? NSNumber)?.int64Value else {
            throw TestSetupError("the account \(name) was not created: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// Creates a user with `roles` (directly in the store, as the owner) and signs in.
    func user(_ login: String, _ roles: [UserRole], password: String = "user-password-1", accountID: Int64? = nil) async throws -> Session {
        let hash = try await PasswordHasher.hash(password, cost: 4)
        _ = try await UserStore(client: owner, logger: TestRedis.logger).create(
            login: login,
            email: nil,
            name: login,
            passwordHash: hash,
            roles: roles,
            accountID: accountID
        )
        return try await self.login(login, password)
    }

    /// A client that connects the way the API does: as `joycity_api`.
    func apiRoleClient() -> PostgresClient {
        var configuration = database
        configuration.role = "joycity_api"
        return configuration.makeClient(logger: TestRedis.logger)
    }

    static func jsonString(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }
}
