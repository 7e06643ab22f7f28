import Assignments
import FleetStore
import Foundation
import Logging
import PostgresNIO

/// KPI results in PostgreSQL: the recompute (one scan of a month's synced rows per source, the assignment applied
/// by ``KPICalculator``, the results written in one transaction), and what the API and the CLI read and set.
public struct KPIStore: Sendable {
    public let client: PostgresClient
    let logger: Logger
    /// The zone months are counted in (WB's: Moscow).
    public let timeZone: TimeZone

    /// Creates a store.
    public init(client: PostgresClient, timeZone: TimeZone = TimeZone(identifier: "Europe/Moscow")!, logger: Logger) {
        self.client = client
        self.timeZone = timeZone
        self.logger = logger
    }

    /// What a recompute of one month did.
    public struct Outcome: Codable, Sendable, Equatable {
        public var account: Int64
        public var month: AssignmentMonth
        /// False when the month's data, assignment and settings had not changed since its last computation.
        public var computed: Bool
        /// The rows read per source (`orders`, `sales`, `report`) and report rows with an unreadable money value.
        public var rows: [String: Int64]
        public var durationMs: Int
        /// Where the time went, in ms: `fingerprint`, `scan` (the rows, per article), `inputs` (assignment, people,
        /// prices, settings, targets), `compute`, `write`.
        public var phasesMs: [String: Int] = [:]
        /// The latest `synced_at` of the rows the month reflects.
        public var dataWatermark: Date?
    }

    /// The month `date` is in.
    public func month(containing date: Date) -> AssignmentMonth { AssignmentMonth(containing: date, in: timeZone) }

    /// Recomputes one month of `account` unless nothing it depends on changed since the last computation (`force`:
    /// recompute anyway). Concurrent recomputes of one month run one after the other.
    /// - Throws: ``KPIError`` `notFound` for an unknown account; ``StoreError`` when PostgreSQL fails.
    public func recompute(
        account: Int64,
        month: AssignmentMonth,
        force: Bool = false,
        trigger: String,
        jobID: String? = nil
    ) async throws
        -> Outcome
    {
        let started = ContinuousClock.now
        let bounds = (month.firstDay, month.next.firstDay)
        try await requireAccount(account)
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let lockKey = "kpi:\(account):\(month)"
                try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger)
                // The month's aggregate holds ~3 kB of numeric state per article: at the default 4 MB it spills to
                // disk (measured: 7.8 s → 4.7 s for 1,000,000 report rows over 10,000 articles with 64 MB+).
                try await connection.query("SET LOCAL work_mem = '64MB'", logger: logger)
                var binds = PostgresBindings(capacity: 3)
                binds.append(account)
                binds.append(bounds.0)
                binds.append(bounds.1)
                var phases: [String: Int] = [:]
                var mark = ContinuousClock.now
                func lap(_ name: String) {
                    phases[name] = Self.ms(since: mark)
                    mark = ContinuousClock.now
                }
                var fingerprint = ""
                var watermark: Date?
                var counts: [String: Int64] = [:]
                for try await (print, at, orders, sales, report) in try await connection.query(
                    PostgresQuery(unsafeSQL: KPISQL.fingerprint, binds: binds),
                    logger: logger
                ).decode((String, Date?, Int64, Int64, Int64).self) {
                    (fingerprint, watermark) = (print, at)
                    counts = ["orders": orders, "sales": sales, "report": report]
                }
                lap("fingerprint")
                // The month's last computation: skipped when nothing changed since; its totals tell a run that changed them.
                var stored: (fingerprint: String, totals: [Int64])?
                for try await row in try await connection.query(
                    "SELECT fingerprint, totals FROM kpi_months WHERE account_id = \(account) AND month = \(bounds.0)::date",
                    logger: logger
                ).decode((String, [Int64]).self) {
                    stored = row
                }
                if !force {
                    if stored?.fingerprint == fingerprint {
                        return Outcome(
                            account: account,
                            month: month,
                            computed: false,
                            rows: counts,
                            durationMs: Self.ms(since: started),
                            dataWatermark: watermark
                        )
                    }
                }
                var facts: [Int64: KPIFigures] = [:]
                var unreadable: Int64 = 0
                for try await (nm, units, bad) in try await connection.query(PostgresQuery(unsafeSQL: KPISQL.facts, binds: binds), logger: logger)
                    .decode((Int64, [Int64], Int64).self)
                {
                    facts[nm] = KPIFigures(units: units)
                    unreadable += bad
                }
                counts["unreadable"] = unreadable
                lap("scan")
                let inputs = try await self.inputs(connection, account: account, month: month, facts: facts)
                lap("inputs")
                let result = try KPICalculator().compute(inputs)
                lap("compute")
                try await write(connection, account: account, month: month, result: result, inputs: inputs)
                let totals = result.totals.units
                let changed = stored?.totals != totals
                let settingsJSON = String(decoding: try JSONEncoder().encode(inputs.settings), as: UTF8.self)
                let rowsJSON = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
                let duration = Self.ms(since: started)
                try await connection.query(
                    """
                    INSERT INTO kpi_months (account_id, month, computed_at, data_watermark, fingerprint, totals, settings, source_rows)
                    VALUES (\(account), \(bounds.0)::date, now(), \(watermark), \(fingerprint), \(totals), \(settingsJSON)::jsonb, \(rowsJSON)::jsonb)
                    ON CONFLICT (account_id, month) DO UPDATE SET computed_at = now(), data_watermark = EXCLUDED.data_watermark,
                      fingerprint = EXCLUDED.fingerprint, totals = EXCLUDED.totals, settings = EXCLUDED.settings, source_rows = EXCLUDED.source_rows
                    """,
                    logger: logger
                )
                try await connection.query(
                    """
                    INSERT INTO kpi_runs (account_id, month, data_watermark, fingerprint, duration_ms, trigger, job_id, totals, changed)
                    VALUES (\(account), \(bounds.0)::date, \(watermark), \(fingerprint), \(duration), \(trigger), \(jobID), \(totals), \(changed))
                    """,
                    logger: logger
                )
                lap("write")
                return Outcome(
                    account: account,
                    month: month,
                    computed: true,
                    rows: counts,
                    durationMs: duration,
                    phasesMs: phases,
                    dataWatermark: watermark
                )
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// The error to throw for `error`: a ``KPIError`` or ``StoreError`` as it is (also from inside a transaction),
    /// anything else as a ``StoreError``.
    static func storeError(_ error: any Error) -> any Error {
        switch error {
        case let error as KPIError: return error
        case let error as StoreError: return error
        case let error as PostgresTransactionError:
            if let inner = error.closureError as? KPIError { return inner }
            if let inner = error.closureError as? StoreError { return inner }
            return StoreError.statement(error.closureError ?? error)
        default: return StoreError.statement(error)
        }
    }

    /// The months a recompute without a month looks at: this month and the `count − 1` before it (WB keeps orders
    /// and sales 90 days and recomputes reports within that).
    public func recentMonths(now: Date = Date(), count: Int = 4) -> [AssignmentMonth] {
        var months = [month(containing: now)]
        while months.count < max(count, 1) { months.append(months.last!.previous) }
        return months
    }

    static func ms(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Reads the assignment, the people, cost prices, settings and targets of a month.
    func inputs(
        _ connection: PostgresConnection,
        account: Int64,
        month: AssignmentMonth,
        facts: [Int64: KPIFigures]
    ) async throws
        -> KPICalculator.Inputs
    {
        var holders: [Int64: [Int64]] = [:]
        for try await (nm, user) in try await connection.query(
            "SELECT nm_id, user_id FROM assignments WHERE account_id = \(account) AND month = \(month.firstDay)::date ORDER BY nm_id, user_id",
            logger: logger
        ).decode((Int64, Int64).self) {
            holders[nm, default: []].append(user)
        }
        var people: [KPIPerson] = []
        for try await (id, login, name) in try await connection.query(
            """
            SELECT u.id, u.login, u.name FROM users u
            WHERE (u.account_id = \(account) AND NOT u.disabled AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'MANAGER'))
               OR u.id IN (SELECT user_id FROM assignments WHERE account_id = \(account) AND month = \(month.firstDay)::date)
            ORDER BY u.id
            """,
            logger: logger
        ).decode((Int64, String, String).self) {
            people.append(KPIPerson(userId: id, login: login, name: name))
        }
        var costs: [Int64: Int64] = [:]
        for try await (nm, cost) in try await connection.query(
            "SELECT nm_id, round(cost * \(KPIFigures.scale))::bigint FROM cost_prices WHERE account_id = \(account)",
            logger: logger
        ).decode((Int64, Int64).self) {
            costs[nm] = cost
        }
        var settings = KPISettings.standard
        for try await text in try await connection.query(
            "SELECT weights::text FROM kpi_settings WHERE account_id = \(account)",
            logger: logger
        ).decode(String.self) {
            settings = KPISettings(weights: try JSONDecoder().decode([KPISettings.Weight].self, from: Data(text.utf8)))
        }
        var targets: [Int64: [String: Double]] = [:]
        for try await (user, metric, target) in try await connection.query(
            "SELECT user_id, metric, target::float8 FROM kpi_targets WHERE account_id = \(account) AND month = \(month.firstDay)::date",
            logger: logger
        ).decode((Int64, String, Double).self) {
            targets[user, default: [:]][metric] = target
        }
        return KPICalculator.Inputs(
            month: month,
            facts: facts,
            holders: holders,
            people: people,
            costPrices: costs,
            settings: settings,
            targets: targets
        )
    }

    /// Replaces a month's facts and results.
    func write(
        _ connection: PostgresConnection,
        account: Int64,
        month: AssignmentMonth,
        result: KPIMonthResult,
        inputs: KPICalculator.Inputs
    )
        async throws
    {
        let day = month.firstDay
        try await connection.query("DELETE FROM kpi_article_facts WHERE account_id = \(account) AND month = \(day)::date", logger: logger)
        try await connection.query("DELETE FROM kpi_results WHERE account_id = \(account) AND month = \(day)::date", logger: logger)
        let nms = inputs.facts.keys.sorted()
        // One text per article: `{u1,u2,…}` (a bigint[] literal) — unnest of a 2-D array would flatten it.
        let units = nms.map { nm in "{" + inputs.facts[nm]!.units.map(String.init).joined(separator: ",") + "}" }
        try await connection.query(
            """
            INSERT INTO kpi_article_facts (account_id, month, nm_id, units)
            SELECT \(account), \(day)::date, nm, u::bigint[] FROM unnest(\(nms)::bigint[], \(units)::text[]) AS t (nm, u)
            """,
            logger: logger
        )
        let encoder = JSONEncoder()
        let rows = result.rows + [result.unassigned]
        let ids = rows.map(\.userId)
        let ranks = rows.map { Int64($0.rank ?? 0) }
        let docs = try rows.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let articles = try rows.map { String(decoding: try encoder.encode(result.articles[$0.userId] ?? []), as: UTF8.self) }
        try await connection.query(
            """
            INSERT INTO kpi_results (account_id, month, user_id, rank, row_doc, articles)
            SELECT \(account), \(day)::date, id, NULLIF(rank, 0), doc::jsonb, articles::jsonb
            FROM unnest(\(ids)::bigint[], \(ranks)::bigint[], \(docs)::text[], \(articles)::text[]) AS t (id, rank, doc, articles)
            """,
            logger: logger
        )
    }
}

extension AssignmentMonth {
    /// The month after.
    public var next: AssignmentMonth {
        month == 12 ? AssignmentMonth(year: year + 1, month: 1) ?? self : AssignmentMonth(year: year, month: month + 1)!
    }
}
