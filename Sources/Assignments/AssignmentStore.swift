import FleetStore
import Foundation
import Logging
import PostgresNIO

/// Monthly article assignments in PostgreSQL: (account, month, nmId) → one user, every change audited and announced.
///
/// Every change — API, import, copy, CLI — goes through ``commit(_:context:)``: one transaction that takes the
/// (account, month) locks in a fixed order (two imports of one month never interleave), checks users, holders and
/// synced data, writes, and records the audit entries that are also the invalidation outbox
/// (``AssignmentEvents``).
public struct AssignmentStore: Sendable {
    public let client: PostgresClient
    public let configuration: AssignmentConfiguration
    /// Announces committed changes (nil: the outbox keeps them until some ``AssignmentEvents`` drains it).
    public let events: AssignmentEvents?
    let logger: Logger

    /// Creates a store.
    public init(client: PostgresClient, configuration: AssignmentConfiguration, events: AssignmentEvents?, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.events = events
        self.logger = logger
    }

    /// One user's articles in a month.
    public struct UserArticles: Codable, Sendable, Equatable {
        public var userId: Int64
        public var login: String
        public var name: String
        public var nmIds: [Int64]
        public var count: Int
        /// The ones accepted with `force` (not found in synced data when assigned).
        public var forced: [Int64]
    }

    /// A month's table: every manager of the account (with or without articles) and every other holder.
    public struct MonthTable: Codable, Sendable, Equatable {
        public var accountId: Int64
        public var month: AssignmentMonth
        public var users: [UserArticles]
        /// Articles assigned in all.
        public var total: Int
    }

    /// The table of `account` in `month`.
    /// - Throws: ``AssignmentError`` `notFound` for an unknown account; ``StoreError`` when PostgreSQL fails.
    public func table(account: Int64, month: AssignmentMonth) async throws -> MonthTable {
        try await requireAccount(account)
        let query: PostgresQuery = """
            SELECT u.id, u.login, u.name,
                   coalesce(array_agg(a.nm_id ORDER BY a.nm_id) FILTER (WHERE a.nm_id IS NOT NULL), '{}'),
                   coalesce(array_agg(a.nm_id ORDER BY a.nm_id) FILTER (WHERE a.forced), '{}')
            FROM users u
            LEFT JOIN assignments a ON a.user_id = u.id AND a.account_id = \(account) AND a.month = \(month.firstDay)::date
            WHERE (u.account_id = \(account) AND NOT u.disabled AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'MANAGER'))
               OR a.nm_id IS NOT NULL
            GROUP BY u.id, u.login, u.name
            ORDER BY u.login
            """
        var users: [UserArticles] = []
        do {
            let rows = try await client.query(query, logger: logger)
            for try await (id, login, name, nmIds, forced) in rows.decode((Int64, String, String, [Int64], [Int64]).self) {
                users.append(UserArticles(userId: id, login: login, name: name, nmIds: nmIds, count: nmIds.count, forced: forced))
            }
        } catch {
            throw StoreError.statement(error)
        }
        return MonthTable(accountId: account, month: month, users: users, total: users.reduce(0) { $0 + $1.count })
    }

    /// The articles `user` holds in `account` in `month` (empty when none: a month never falls back to another).
    public func articles(account: Int64, month: AssignmentMonth, user: Int64) async throws -> [Int64] {
        do {
            let rows = try await client.query(
                "SELECT nm_id FROM assignments WHERE account_id = \(account) AND month = \(month.firstDay)::date AND user_id = \(user) ORDER BY nm_id",
                logger: logger
            )
            var result: [Int64] = []
            for try await nm in rows.decode(Int64.self) { result.append(nm) }
            return result
        } catch {
            throw StoreError.statement(error)
        }
    }

    /// What the proxy edge shows `user`: their articles in the account they work in, this month.
    public func currentArticles(user: Int64, account: Int64, now: Date = Date()) async throws -> [Int64] {
        try await articles(account: account, month: configuration.currentMonth(now: now), user: user)
    }

    /// A problem with an existing assignment of a month.
    public struct MonthConflict: Codable, Sendable, Equatable {
        public enum Reason: String, Codable, Sendable {
            /// The holder now works in another account (or none).
            case holderMovedAccount
            /// The holder is disabled.
            case holderDisabled
            /// The article is in none of the account's synced data within the lookback, and was not forced.
            case notInSyncedData
        }
        public var nmId: Int64
        public var userId: Int64
        public var login: String
        public var reason: Reason
    }

    /// What needs a head of sales' attention in a month: articles held by users who moved or were disabled, and
    /// unforced articles that no longer appear in synced data.
    public func conflicts(account: Int64, month: AssignmentMonth) async throws -> [MonthConflict] {
        try await requireAccount(account)
        var result: [MonthConflict] = []
        do {
            let rows = try await client.query(
                """
                SELECT a.nm_id, u.id, u.login, u.account_id IS DISTINCT FROM a.account_id, u.disabled, a.forced
                FROM assignments a JOIN users u ON u.id = a.user_id
                WHERE a.account_id = \(account) AND a.month = \(month.firstDay)::date ORDER BY a.nm_id
                """,
                logger: logger
            )
            var unforced: [Int64: (Int64, String)] = [:]
            for try await (nm, user, login, moved, disabled, forced) in rows.decode((Int64, Int64, String, Bool, Bool, Bool).self) {
                if moved {
                    result.append(MonthConflict(nmId: nm, userId: user, login: login, reason: .holderMovedAccount))
                } else if disabled {
                    result.append(MonthConflict(nmId: nm, userId: user, login: login, reason: .holderDisabled))
                } else if !forced {
                    unforced[nm] = (user, login)
                }
            }
            if !unforced.isEmpty {
                let known = try await knownArticles(Array(unforced.keys), account: account, on: nil)
                for (nm, holder) in unforced.sorted(by: { $0.key < $1.key }) where !known.contains(nm) {
                    result.append(MonthConflict(nmId: nm, userId: holder.0, login: holder.1, reason: .notInSyncedData))
                }
            }
        } catch let error as AssignmentError {
            throw error
        } catch {
            throw StoreError.statement(error)
        }
        return result
    }

    /// The nmIds of `candidates` that `account`'s synced orders, sales or report rows name within the lookback.
    func knownArticles(_ candidates: [Int64], account: Int64, on connection: PostgresConnection?) async throws -> Set<Int64> {
        guard !candidates.isEmpty else { return [] }
        let seconds = Double(configuration.lookback.components.seconds)
        let zone = configuration.timeZone.identifier
        let query: PostgresQuery = """
            WITH cutoff AS (SELECT (now() AT TIME ZONE \(zone)) - make_interval(secs => \(seconds)) AS at)
            SELECT n FROM unnest(\(candidates)::bigint[]) AS n, cutoff
            WHERE EXISTS (SELECT 1 FROM wb_orders o WHERE o.account_id = \(account) AND o.nm_id = n AND coalesce(o.order_date, o.last_change_date) >= cutoff.at)
               OR EXISTS (SELECT 1 FROM wb_sales s WHERE s.account_id = \(account) AND s.nm_id = n AND coalesce(s.sale_date, s.last_change_date) >= cutoff.at)
               OR EXISTS (SELECT 1 FROM wb_report_rows r WHERE r.account_id = \(account) AND r.nm_id = n AND r.rr_dt >= cutoff.at::date)
            """
        var known: Set<Int64> = []
        let rows: PostgresRowSequence
        if let connection {
            rows = try await connection.query(query, logger: logger)
        } else {
            rows = try await client.query(query, logger: logger)
        }
        for try await nm in rows.decode(Int64.self) { known.insert(nm) }
        return known
    }

    func requireAccount(_ account: Int64) async throws {
        let exists: Bool
        do {
            let rows = try await client.query("SELECT EXISTS (SELECT 1 FROM seller_accounts WHERE id = \(account))", logger: logger)
            exists = try await rows.decode(Bool.self).first { _ in true } ?? false
        } catch {
            throw StoreError.statement(error)
        }
        guard exists else { throw AssignmentError(.notFound, "seller account \(account) does not exist; `joycity accounts list` shows them") }
    }
}
