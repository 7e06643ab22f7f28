import Assignments
import FleetStore
import Foundation
import PostgresNIO

/// A computed month as the API and the CLI show it.
public struct KPIRanking: Codable, Sendable, Equatable {
    public var accountId: Int64
    public var month: AssignmentMonth
    /// True once the month is over (in Moscow time); a closed month still changes when WB recomputes a report in it.
    public var closed: Bool
    public var computedAt: Date
    /// The latest `synced_at` of the rows it reflects.
    public var dataWatermark: Date?
    /// Rows read per source and report rows with an unreadable money value.
    public var sourceRows: [String: Int64]
    public var settings: KPISettings
    /// The account's month (every article, nm_id 0 included); nil in a manager's own view.
    public var totals: KPIFigures?
    /// Managers, best first; the unranked (no article this month) after them.
    public var rows: [KPIRow]
    /// What no manager holds, and the allocation's remainder; nil in a manager's own view.
    public var unassigned: KPIRow?
    /// How many managers are ranked (a manager's own view shows their rank among them).
    public var ranked: Int
}

/// One person's month, and the articles that made it.
public struct KPIBreakdown: Codable, Sendable, Equatable {
    public var accountId: Int64
    public var month: AssignmentMonth
    public var computedAt: Date
    public var row: KPIRow
    public var articles: [KPIArticleShare]
    /// The month's rows without an article (nm_id 0), whose part ``KPIRow/allocated`` is.
    public var general: KPIFigures
    /// How `allocated` was found, in words.
    public var allocationRule: String
}

/// One synced row behind a figure.
public struct KPISourceRow: Codable, Sendable, Equatable {
    /// `srid`, `saleID` or `rrd_id`.
    public var key: String
    /// The row's date (order date, sale date or `rr_dt`).
    public var date: String
    public var nmId: Int64
    /// What the row adds to each figure (before any split between holders).
    public var figures: [String: Double]
}

/// A page of source rows.
public struct KPISourcePage: Codable, Sendable, Equatable {
    public var source: KPISource
    public var rows: [KPISourceRow]
    /// Pass as `after` for the next page; nil at the end.
    public var next: String?
}

/// One computation of a month (the history).
public struct KPIRun: Codable, Sendable, Equatable {
    public var computedAt: Date
    public var dataWatermark: Date?
    public var durationMs: Int
    public var trigger: String
    public var jobId: String?
    /// Whether the account's totals differed from the computation before.
    public var changed: Bool
    public var totals: KPIFigures
}

extension KPIStore {
    static let allocationRule =
        "rows without an article (nm_id 0) are split by each row's share of the month's positive revenue (ppvz_for_pay of sales less returns); what is left over stays unassigned"

    /// The computed month. - Throws: ``KPIError`` `notComputed` when it has not been computed yet.
    public func ranking(account: Int64, month: AssignmentMonth, now: Date = Date()) async throws -> KPIRanking {
        let meta = try await monthMeta(account: account, month: month)
        var rows: [KPIRow] = []
        var unassigned: KPIRow?
        do {
            let stream = try await client.query(
                """
                SELECT row_doc::text FROM kpi_results WHERE account_id = \(account) AND month = \(month.firstDay)::date
                ORDER BY rank NULLS LAST, row_doc->>'login', user_id
                """,
                logger: logger
            )
            for try await text in stream.decode(String.self) {
                let row = try JSONDecoder().decode(KPIRow.self, from: Data(text.utf8))
                if row.userId == 0 { unassigned = row } else { rows.append(row) }
            }
        } catch let error as DecodingError {
            throw StoreError(.malformedData, "a stored KPI row of \(month) cannot be read (\(error)); recompute the month")
        } catch {
            throw StoreError.statement(error)
        }
        return KPIRanking(
            accountId: account,
            month: month,
            closed: month < self.month(containing: now),
            computedAt: meta.computedAt,
            dataWatermark: meta.watermark,
            sourceRows: meta.sourceRows,
            settings: meta.settings,
            totals: meta.totals,
            rows: rows,
            unassigned: unassigned ?? KPIRow.empty,
            ranked: rows.filter { $0.rank != nil }.count
        )
    }

    /// One person's month (`user` 0: the unassigned remainder).
    /// - Throws: ``KPIError`` `notComputed`; `notFound` when the month lists nobody with that id.
    public func breakdown(account: Int64, month: AssignmentMonth, user: Int64) async throws -> KPIBreakdown {
        let meta = try await monthMeta(account: account, month: month)
        do {
            let stream = try await client.query(
                """
                SELECT row_doc::text, articles::text,
                       (SELECT units FROM kpi_article_facts WHERE account_id = \(account) AND month = \(month.firstDay)::date AND nm_id = 0)
                FROM kpi_results WHERE account_id = \(account) AND month = \(month.firstDay)::date AND user_id = \(user)
                """,
                logger: logger
            )
            for try await (rowText, articlesText, general) in stream.decode((String, String, [Int64]?).self) {
                let decoder = JSONDecoder()
                return KPIBreakdown(
                    accountId: account,
                    month: month,
                    computedAt: meta.computedAt,
                    row: try decoder.decode(KPIRow.self, from: Data(rowText.utf8)),
                    articles: try decoder.decode([KPIArticleShare].self, from: Data(articlesText.utf8)),
                    general: KPIFigures(units: general ?? []),
                    allocationRule: Self.allocationRule
                )
            }
        } catch let error as DecodingError {
            throw StoreError(.malformedData, "the stored KPI row of user \(user) in \(month) cannot be read (\(error)); recompute the month")
        } catch {
            throw StoreError.statement(error)
        }
        throw KPIError(.notFound, "user \(user) is not among the managers of account \(account) in \(month)")
    }

    /// The synced rows behind one person's figures from `source`: the rows of their articles of the month (nmId 0
    /// lists the rows without an article), by key, a page at a time.
    public func sourceRows(
        account: Int64,
        month: AssignmentMonth,
        user: Int64,
        source: KPISource,
        nmId: Int64?,
        after: String?,
        limit: Int
    )
        async throws -> KPISourcePage
    {
        let breakdown = try await breakdown(account: account, month: month, user: user)
        var nms = breakdown.articles.map(\.nmId)
        if let nmId {
            guard nmId == 0 || nms.contains(nmId) else {
                throw KPIError(.notFound, "nmId \(nmId) is not among the articles of user \(user) in \(month)")
            }
            nms = [nmId]
        }
        let (sql, figures) = KPISQL.sourceRows(source)
        var binds = PostgresBindings(capacity: 6)
        binds.append(account)
        binds.append(month.firstDay)
        binds.append(month.next.firstDay)
        binds.append(nms)
        if source == .report {
            guard let cursor = Int64(after ?? "0") else { throw KPIError(.invalid, "after must be a report rrd_id (a number) from the last page") }
            binds.append(String(cursor))
        } else {
            binds.append(after ?? "")
        }
        binds.append(Int64(limit + 1))
        var rows: [KPISourceRow] = []
        do {
            let stream = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            for try await (key, date, nm, values) in stream.decode((String, String, Int64, [Double]).self) {
                var named: [String: Double] = [:]
                for (figure, value) in zip(figures, values) { named[figure.name] = value }
                rows.append(KPISourceRow(key: key, date: date, nmId: nm, figures: named))
            }
        } catch {
            throw StoreError.statement(error)
        }
        let more = rows.count > limit
        if more { rows.removeLast() }
        return KPISourcePage(source: source, rows: rows, next: more ? rows.last?.key : nil)
    }

    /// The computations of a month, newest first.
    public func history(account: Int64, month: AssignmentMonth, limit: Int = 50) async throws -> [KPIRun] {
        var runs: [KPIRun] = []
        do {
            let stream = try await client.query(
                """
                SELECT computed_at, data_watermark, duration_ms, trigger, job_id, changed, totals FROM kpi_runs
                WHERE account_id = \(account) AND month = \(month.firstDay)::date ORDER BY id DESC LIMIT \(Int64(limit))
                """,
                logger: logger
            )
            for try await (at, watermark, ms, trigger, job, changed, totals) in stream.decode(
                (Date, Date?, Int32, String, String?, Bool, [Int64]).self
            ) {
                runs.append(
                    KPIRun(
                        computedAt: at,
                        dataWatermark: watermark,
                        durationMs: Int(ms),
                        trigger: trigger,
                        jobId: job,
                        changed: changed,
                        totals: KPIFigures(units: totals)
                    )
                )
            }
        } catch {
            throw StoreError.statement(error)
        }
        return runs
    }

    struct MonthMeta {
        var computedAt: Date
        var watermark: Date?
        var totals: KPIFigures
        var settings: KPISettings
        var sourceRows: [String: Int64]
    }

    func monthMeta(account: Int64, month: AssignmentMonth) async throws -> MonthMeta {
        do {
            let stream = try await client.query(
                """
                SELECT computed_at, data_watermark, totals, settings::text, source_rows::text FROM kpi_months
                WHERE account_id = \(account) AND month = \(month.firstDay)::date
                """,
                logger: logger
            )
            for try await (at, watermark, totals, settings, rows) in stream.decode((Date, Date?, [Int64], String, String).self) {
                return MonthMeta(
                    computedAt: at,
                    watermark: watermark,
                    totals: KPIFigures(units: totals),
                    settings: try JSONDecoder().decode(KPISettings.self, from: Data(settings.utf8)),
                    sourceRows: try JSONDecoder().decode([String: Int64].self, from: Data(rows.utf8))
                )
            }
        } catch {
            throw StoreError.statement(error)
        }
        throw KPIError(
            .notComputed,
            "\(month) of account \(account) has not been computed yet: queue it (POST /api/accounts/\(account)/kpi/\(month)/recompute or joycity kpi recompute --account \(account) --month \(month))"
        )
    }
}

extension KPIRow {
    /// The remainder of a month with nothing in it.
    static let empty = KPIRow(
        userId: 0,
        login: "",
        name: "",
        articles: 0,
        direct: .zero,
        allocated: .zero,
        total: .zero,
        revenueShare: 0,
        costsMissing: [],
        buyoutRate: nil,
        margin: nil,
        score: nil,
        rank: nil,
        normalized: [:],
        targets: []
    )
}
