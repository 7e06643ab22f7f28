import Assignments
import FleetStore
import Foundation
import PostgresNIO

/// A cost price of one article.
public struct KPICostPrice: Codable, Sendable, Equatable {
    public var nmId: Int64
    /// ₽ per unit, 0 or more (up to four decimals are kept).
    public var cost: Double

    public init(nmId: Int64, cost: Double) {
        self.nmId = nmId
        self.cost = cost
    }
}

/// A monthly target of one manager.
public struct KPITarget: Codable, Sendable, Equatable {
    public var userId: Int64
    /// A ``KPIMetric`` name.
    public var metric: String
    /// Above 0.
    public var target: Double

    public init(userId: Int64, metric: String, target: Double) {
        self.userId = userId
        self.metric = metric
        self.target = target
    }
}

extension KPIStore {
    /// The account's score settings (``KPISettings/standard`` until someone sets them).
    public func settings(account: Int64) async throws -> KPISettings {
        try await requireAccount(account)
        do {
            let stream = try await client.query("SELECT weights::text FROM kpi_settings WHERE account_id = \(account)", logger: logger)
            for try await text in stream.decode(String.self) {
                return KPISettings(weights: try JSONDecoder().decode([KPISettings.Weight].self, from: Data(text.utf8)))
            }
        } catch {
            throw StoreError.statement(error)
        }
        return .standard
    }

    /// Replaces the account's score settings. - Throws: ``KPIError`` `invalid` (nothing changed), `notFound`.
    public func setSettings(account: Int64, _ settings: KPISettings, by actor: String) async throws {
        _ = try settings.validated()
        try await requireAccount(account)
        let json = String(decoding: try JSONEncoder().encode(settings.weights), as: UTF8.self)
        do {
            try await client.query(
                """
                INSERT INTO kpi_settings (account_id, weights, updated_by) VALUES (\(account), \(json)::jsonb, \(actor))
                ON CONFLICT (account_id) DO UPDATE SET weights = EXCLUDED.weights, updated_by = EXCLUDED.updated_by, updated_at = now()
                """,
                logger: logger
            )
        } catch {
            throw StoreError.statement(error)
        }
    }

    /// The month's targets of the account's managers.
    public func targets(account: Int64, month: AssignmentMonth) async throws -> [KPITarget] {
        try await requireAccount(account)
        var targets: [KPITarget] = []
        do {
            let stream = try await client.query(
                "SELECT user_id, metric, target::float8 FROM kpi_targets WHERE account_id = \(account) AND month = \(month.firstDay)::date ORDER BY user_id, metric",
                logger: logger
            )
            for try await (user, metric, target) in stream.decode((Int64, String, Double).self) {
                targets.append(KPITarget(userId: user, metric: metric, target: target))
            }
        } catch {
            throw StoreError.statement(error)
        }
        return targets
    }

    /// Replaces the month's targets (all of them: a target not listed is removed).
    /// - Throws: ``KPIError`` `invalid` for an unknown metric, a target not above 0, a user twice with one metric or
    ///   a user who is not a manager of the account (nothing changed); `notFound`.
    public func setTargets(account: Int64, month: AssignmentMonth, _ targets: [KPITarget], by actor: String) async throws {
        try await requireAccount(account)
        var seen: Set<String> = []
        for target in targets {
            guard KPIMetric(name: target.metric) != nil else {
                throw KPIError(.invalid, "unknown metric \"\(target.metric)\": use one of \(KPIMetric.all.map(\.name).joined(separator: ", "))")
            }
            guard target.target.isFinite, target.target > 0, target.target <= 1e12 else {
                throw KPIError(.invalid, "the \(target.metric) target of user \(target.userId) must be a number above 0 and at most 1000000000000")
            }
            guard seen.insert("\(target.userId):\(target.metric)").inserted else {
                throw KPIError(.invalid, "user \(target.userId) has two \(target.metric) targets")
            }
        }
        let users = Array(Set(targets.map(\.userId))).sorted()
        do {
            try await client.withTransaction(logger: logger) { connection in
                let known = try await connection.query(
                    "SELECT id FROM users WHERE account_id = \(account) AND id = ANY(\(users)::bigint[])",
                    logger: logger
                )
                var found: Set<Int64> = []
                for try await id in known.decode(Int64.self) { found.insert(id) }
                if let stranger = users.first(where: { !found.contains($0) }) {
                    throw KPIError(.invalid, "user \(stranger) is not a user of account \(account): targets are for its managers")
                }
                try await connection.query(
                    "DELETE FROM kpi_targets WHERE account_id = \(account) AND month = \(month.firstDay)::date",
                    logger: logger
                )
                try await connection.query(
                    """
                    INSERT INTO kpi_targets (account_id, month, user_id, metric, target, updated_by)
                    SELECT \(account), \(month.firstDay)::date, u, m, t, \(actor)
                    FROM unnest(\(targets.map(\.userId))::bigint[], \(targets.map(\.metric))::text[], \(targets.map(\.target))::float8[]) AS x (u, m, t)
                    """,
                    logger: logger
                )
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// The account's cost prices, by nmId.
    public func costPrices(account: Int64) async throws -> [KPICostPrice] {
        try await requireAccount(account)
        var prices: [KPICostPrice] = []
        do {
            let stream = try await client.query(
                "SELECT nm_id, cost::float8 FROM cost_prices WHERE account_id = \(account) ORDER BY nm_id",
                logger: logger
            )
            for try await (nm, cost) in stream.decode((Int64, Double).self) { prices.append(KPICostPrice(nmId: nm, cost: cost)) }
        } catch {
            throw StoreError.statement(error)
        }
        return prices
    }

    /// Sets cost prices (`replace`: the list becomes the whole table; otherwise listed ones are added or changed and
    /// `remove` ones deleted). - Throws: ``KPIError`` `invalid` for an nmId not above 0, a negative or huge cost or
    /// an nmId twice (nothing changed); `notFound`.
    /// - Returns: how many rows the account has afterwards.
    @discardableResult
    public func setCostPrices(account: Int64, _ prices: [KPICostPrice], remove: [Int64] = [], replace: Bool, by actor: String) async throws -> Int {
        try await requireAccount(account)
        var seen: Set<Int64> = []
        for price in prices {
            guard price.nmId > 0 else { throw KPIError(.invalid, "nmId \(price.nmId) is not an article number (a positive integer)") }
            guard price.cost.isFinite, price.cost >= 0, price.cost < 1e10 else {
                throw KPIError(.invalid, "the cost price of nmId \(price.nmId) must be 0 or more (rubles per unit)")
            }
            guard seen.insert(price.nmId).inserted else { throw KPIError(.invalid, "nmId \(price.nmId) is listed twice") }
        }
        do {
            return try await client.withTransaction(logger: logger) { connection in
                if replace {
                    try await connection.query("DELETE FROM cost_prices WHERE account_id = \(account)", logger: logger)
                } else if !remove.isEmpty {
                    try await connection.query(
                        "DELETE FROM cost_prices WHERE account_id = \(account) AND nm_id = ANY(\(remove)::bigint[])",
                        logger: logger
                    )
                }
                try await connection.query(
                    """
                    INSERT INTO cost_prices (account_id, nm_id, cost, updated_by)
                    SELECT \(account), n, round(c::numeric, 4), \(actor) FROM unnest(\(prices.map(\.nmId))::bigint[], \(prices.map(\.cost))::float8[]) AS x (n, c)
                    ON CONFLICT (account_id, nm_id) DO UPDATE SET cost = EXCLUDED.cost, updated_by = EXCLUDED.updated_by, updated_at = now()
                    WHERE cost_prices.cost IS DISTINCT FROM EXCLUDED.cost
                    """,
                    logger: logger
                )
                let count = try await connection.query("SELECT count(*) FROM cost_prices WHERE account_id = \(account)", logger: logger)
                return Int(try await count.decode(Int64.self).first(where: { _ in true }) ?? 0)
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    func requireAccount(_ account: Int64) async throws {
        do {
            let rows = try await client.query("SELECT count(*) FROM seller_accounts WHERE id = \(account)", logger: logger)
            if try await rows.decode(Int64.self).first(where: { _ in true }) == 1 { return }
        } catch {
            throw StoreError.statement(error)
        }
        throw KPIError(.notFound, "seller account \(account) does not exist (joycity accounts list)")
    }
}
