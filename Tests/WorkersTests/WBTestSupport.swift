import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import Logging
import PostgresNIO
import Queue
import WBKit
import Workers

/// A test key for sealing tokens.
let testSecretKeys = "test1:" + Data(repeating: 7, count: 32).base64EncodedString()

/// Fast limits for both sides of a test.
let fastLimits = "orders=200/1s:200,sales=200/1s:200,report=200/1s:200,finance=200/1s:200"

/// Runs an in-process fake WB on a free port. Small data and fast limits unless `configure` says otherwise.
func withFakeWB<T: Sendable>(
    _ configure: (inout FakeWBConfiguration) throws -> Void = { _ in },
    _ body: @Sendable (FakeWBState, String) async throws -> T
) async throws -> T {
    var configuration = FakeWBConfiguration()
    configuration.port = 0
    configuration.accounts = 3
    configuration.days = 8
    configuration.ordersPerDay = 6
    configuration.limits = try FakeWBConfiguration.parseLimits(fastLimits, variable: "test")
    try configure(&configuration)
    let state = FakeWBState(configuration: configuration)
    return try await FakeWBServer.withRunning(state: state, logger: TestRedis.logger) { url in try await body(state, url) }
}

/// A syncer against `baseURL`, with test keys and quick retries.
func makeSyncer(
    postgres: PostgresClient,
    redis: RedisClient,
    baseURL: String,
    prefix: String = TestRedis.uniquePrefix("wb"),
    windows: WBSyncer.Configuration = .init(lookback: .seconds(30 * 86_400), reportRewindow: .seconds(14 * 86_400)),
    _ configure: (inout WBClient.Configuration) throws -> Void = { _ in }
) throws -> WBSyncer {
    let secrets = try SecretBox(environment: EnvironmentReader(values: ["JOYCITY_SECRET_KEYS": testSecretKeys]))
    var configuration = WBClient.Configuration(
        statisticsURL: baseURL,
        financeURL: baseURL,
        requestTimeout: .seconds(20),
        maxRetries: 3,
        retryBackoff: .milliseconds(50),
        maxInlineWait: .seconds(30),
        rateLimits: try WBRateLimits(parsing: fastLimits)
    )
    try configure(&configuration)
    let client = WBClient(configuration: configuration, limiter: RateLimiter(redis: redis, prefix: prefix), logger: TestRedis.logger)
    return WBSyncer(
        accounts: AccountStore(client: postgres, secrets: secrets, logger: TestRedis.logger),
        raw: WBRawStore(client: postgres, logger: TestRedis.logger),
        client: client,
        configuration: windows
    )
}

/// Today's day number in Moscow (days since 1970-01-01, MSK), as the fake numbers its report days.
func moscowDayNumber(_ date: Date = Date()) -> Int64 {
    Int64(((date.timeIntervalSince1970 + 3 * 3600) / 86_400).rounded(.down))
}

/// The Monday of the week of day number `day`.
func weekStart(_ day: Int64) -> Int64 { day - ((day + 3) % 7) }

/// Registers fake seller `seller` as an account.
@discardableResult
func addAccount(
    _ syncer: WBSyncer,
    _ fake: FakeWBState,
    seller: Int,
    token: String? = nil,
    source: SellerAccount.ReportSource = .statistics
) async throws -> Int64 {
    let token = token ?? fake.token(seller: seller)
    let claims = try? WBToken(token)
    return try await syncer.accounts.add(
        name: "Seller \(seller)",
        inn: String(format: "50%08d", seller),
        token: token,
        sellerID: claims?.sellerID,
        expiresAt: claims?.expiresAt,
        reportSource: source
    ).id
}

/// Stored documents of a dataset: key → parsed JSON object.
func stored(_ postgres: PostgresClient, account: Int64, dataset: WBDataset) async throws -> [String: NSDictionary] {
    let sql: String
    switch dataset {
    case .orders: sql = "SELECT srid, doc::text FROM wb_orders WHERE account_id = $1"
    case .sales: sql = "SELECT sale_id, doc::text FROM wb_sales WHERE account_id = $1"
    case .report: sql = "SELECT rrd_id::text, doc::text FROM wb_report_rows WHERE account_id = $1"
    }
    var binds = PostgresBindings()
    binds.append(account)
    var result: [String: NSDictionary] = [:]
    for try await (key, doc) in try await postgres.query(PostgresQuery(unsafeSQL: sql, binds: binds)).decode((String, String).self) {
        result[key] = try JSONSerialization.jsonObject(with: Data(doc.utf8)) as? NSDictionary
    }
    return result
}

/// The fake's current rows of a dataset, parsed.
func expected(_ fake: FakeWBState, seller: Int, dataset: WBDataset) throws -> [String: NSDictionary] {
    try fake.snapshot(seller: seller, dataset: dataset.rawValue).mapValues { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! NSDictionary }
}

/// Counts rows of `table` for an account.
func count(_ postgres: PostgresClient, _ table: String, account: Int64) async throws -> Int {
    var binds = PostgresBindings()
    binds.append(account)
    for try await n in try await postgres.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE account_id = $1", binds: binds)).decode(
        Int.self
    ) {
        return n
    }
    return 0
}
