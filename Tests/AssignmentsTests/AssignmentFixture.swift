import Assignments
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import Logging
import PostgresNIO
import Queue

/// A migrated database with two seller accounts, their managers and synced WB rows naming known nmIds, a queue under
/// a fresh prefix, and the assignment store on both.
struct AssignmentFixture: Sendable {
    let client: PostgresClient
    let database: DatabaseConfiguration
    let queue: StreamQueue
    let store: AssignmentStore
    let events: AssignmentEvents
    /// Account ids: `one` (INN 7701234567), `two` (INN 7707654321).
    let one: Int64
    let two: Int64
    /// User ids by login: anna, boris (managers of one), vera (manager of two), gleb (disabled manager of one),
    /// dina (head of sales of one).
    let users: [String: Int64]
    let month: AssignmentMonth

    /// nmIds the synced data of account one names within the lookback: orders, sales, report rows, and 100 more orders.
    static let known: [Int64] = [178_231_456, 209_455_871, 231_906_114] + (0..<100).map { 300_000_000 + Int64($0) }
    /// Named by account one's orders 200 days ago only: outside the 90-day lookback.
    static let stale: Int64 = 111_111_111
    /// Named by account two's orders.
    static let knownTwo: Int64 = 400_000_001

    static let context = ChangeContext(actorId: nil, actor: "cli:test", source: .cli)

    static func run(_ body: @Sendable (AssignmentFixture) async throws -> Void) async throws {
        try await TestPostgres.withDatabase { client, database in
            try await TestRedis.withQueue { queue in
                let logger = TestRedis.logger
                let one = try await insertAccount(client, name: "Кристалл", inn: "7701234567")
                let two = try await insertAccount(client, name: "Второй", inn: "7707654321")
                var users: [String: Int64] = [:]
                for (login, account, role, disabled) in [
                    ("anna", one, "MANAGER", false), ("boris", one, "MANAGER", false), ("vera", two, "MANAGER", false),
                    ("gleb", one, "MANAGER", true), ("dina", one, "HEAD_OF_SALES", false),
                ] {
                    let rows = try await client.query(
                        """
                        INSERT INTO users (login, email, name, password_hash, account_id, disabled)
                        VALUES (\(login), \(login + "@example.test"), \(login.capitalized), 'x', \(account), \(disabled)) RETURNING id
                        """,
                        logger: logger
                    )
                    let id = try await rows.decode(Int64.self).first { _ in true }!
                    try await client.query("INSERT INTO user_roles (user_id, role) VALUES (\(id), \(role))", logger: logger)
                    users[login] = id
                }
                let orders = known.filter { $0 != 209_455_871 && $0 != 231_906_114 }
                try await client.query(
                    """
                    INSERT INTO wb_orders (account_id, srid, last_change_date, order_date, nm_id, doc)
                    SELECT \(one), 'o' || n, now() - interval '10 days', now() - interval '10 days', n, '{}'::jsonb FROM unnest(\(orders)::bigint[]) n
                    """,
                    logger: logger
                )
                try await client.query(
                    """
                    INSERT INTO wb_orders (account_id, srid, last_change_date, order_date, nm_id, doc)
                    VALUES (\(one), 'old', now() - interval '200 days', now() - interval '200 days', \(stale), '{}'),
                           (\(two), 'two', now() - interval '1 day', now() - interval '1 day', \(knownTwo), '{}')
                    """,
                    logger: logger
                )
                try await client.query(
                    """
                    INSERT INTO wb_sales (account_id, sale_id, last_change_date, sale_date, nm_id, doc)
                    VALUES (\(one), 'S1', now() - interval '5 days', now() - interval '5 days', 209455871, '{}')
                    """,
                    logger: logger
                )
                try await client.query(
                    """
                    INSERT INTO wb_report_rows (account_id, rrd_id, rr_dt, nm_id, source, sync_run, doc)
                    VALUES (\(one), 1, (now() - interval '3 days')::date, 231906114, 'statistics', 1, '{}')
                    """,
                    logger: logger
                )
                let configuration = AssignmentConfiguration(invalidateDebounce: .milliseconds(300))
                let events = AssignmentEvents(client: client, queue: queue, debounce: configuration.invalidateDebounce, logger: logger)
                let store = AssignmentStore(client: client, configuration: configuration, events: events, logger: logger)
                try await body(
                    AssignmentFixture(
                        client: client,
                        database: database,
                        queue: queue,
                        store: store,
                        events: events,
                        one: one,
                        two: two,
                        users: users,
                        month: configuration.currentMonth()
                    )
                )
            }
        }
    }

    /// The database's URL, for child processes.
    func databaseURL() async throws -> String { TestPostgres.url(database) }

    static func insertAccount(_ client: PostgresClient, name: String, inn: String) async throws -> Int64 {
        let rows = try await client.query("INSERT INTO seller_accounts (name, inn) VALUES (\(name), \(inn)) RETURNING id", logger: TestRedis.logger)
        return try await rows.decode(Int64.self).first { _ in true }!
    }

    func set(
        _ login: String,
        _ nmIds: [Int64],
        account: Int64? = nil,
        month: AssignmentMonth? = nil,
        context: ChangeContext = Self.context
    ) async throws
        -> ChangeResult
    {
        let change = SetChange(account: account ?? one, month: month ?? self.month, user: users[login]!, operation: .replace(Set(nmIds)))
        return try await store.commit([change], context: context)[0]
    }

    func articles(_ login: String, account: Int64? = nil, month: AssignmentMonth? = nil) async throws -> [Int64] {
        try await store.articles(account: account ?? one, month: month ?? self.month, user: users[login]!)
    }

    func count(_ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestRedis.logger)
        return try await rows.decode(Int.self).first { _ in true } ?? -1
    }
}

/// A temporary directory for the files a test makes, removed after.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("joycity-assign-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Runs a Python script with openpyxl (the tests' interpreter); fails the test with its output when it fails.
func python(_ script: String, _ arguments: [String] = []) throws -> String {
    let (status, output) = try runPython(script, arguments: arguments)
    guard status == 0 else { throw TestSetupError("python failed (\(status)): \(output)") }
    return output
}
