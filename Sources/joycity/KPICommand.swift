import ArgumentParser
import Assignments
import FleetCore
import Foundation
import KPI
import PostgresNIO

/// `joycity kpi …`: manager KPIs from the command line: the ranking, one manager's breakdown, a recompute now.
struct KPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpi",
        abstract: "Rank managers by their KPIs, explain one manager's figures, recompute a month.",
        discussion: "How figures, the allocation of rows without an article and scores work: docs/kpi.md.",
        subcommands: [KPIRank.self, KPIExplain.self, KPIRecompute.self]
    )
}

/// The account (optional: every account) and month of a KPI command.
struct KPIScope: ParsableArguments {
    @Option(help: "The month, YYYY-MM (default: this month, Moscow time).") var month: String?
    @Option(help: "The seller account: its id or INN (default: every account).") var account: String?
    @Option(help: "Headers and words in en or ru.") var lang: String = "en"

    func accounts(_ handle: AssignmentsHandle) async throws -> [Int64] {
        if let account { return [try await handle.account(account)] }
        var ids: [Int64] = []
        for try await id in try await handle.store.client.query("SELECT id FROM seller_accounts ORDER BY id", logger: handle.logger).decode(
            Int64.self
        ) {
            ids.append(id)
        }
        return ids
    }

    var russian: Bool { lang == "ru" }

    func validateLanguage() throws {
        guard lang == "en" || lang == "ru" else { throw ValidationError("--lang is en or ru") }
    }
}

extension KPIStore {
    init(_ handle: AssignmentsHandle) {
        self.init(client: handle.store.client, timeZone: handle.store.configuration.timeZone, logger: handle.logger)
    }
}

/// Money and counts as the tables show them.
enum KPIFormat {
    static func number(_ value: Double?, decimals: Int = 2) -> String {
        guard let value else { return "—" }
        return String(format: "%.\(decimals)f", value)
    }
}

struct KPIRank: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rank", abstract: "A month's ranking of the managers, per account.")
    @OptionGroup var scope: KPIScope
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try scope.validateLanguage()
        await withAssignments { handle in
            let store = KPIStore(handle)
            let month = try handle.month(scope.month)
            var rankings: [KPIRanking] = []
            for account in try await scope.accounts(handle) {
                do {
                    rankings.append(try await store.ranking(account: account, month: month))
                } catch let error as KPIError where error.kind == .notComputed && scope.account == nil {
                    FileHandle.standardError.write(Data("account \(account): \(error.message)\n".utf8))
                }
            }
            if json { return try printJSON(rankings) }
            let ru = scope.russian
            for ranking in rankings {
                print(
                    ru
                        ? "кабинет \(ranking.accountId), \(ranking.month)\(ranking.closed ? " (закрыт)" : " (с начала месяца)"), рассчитано \(ranking.computedAt)"
                        : "account \(ranking.accountId), \(ranking.month)\(ranking.closed ? " (closed)" : " (month to date)"), computed \(ranking.computedAt)"
                )
                let header =
                    ru
                    ? [
                        "МЕСТО", "ЛОГИН", "БАЛЛ", "АРТИКУЛЫ", "ЗАКАЗЫ", "СУММА ЗАКАЗОВ", "ВЫКУП %", "К ПЕРЕЧИСЛЕНИЮ", "ЛОГИСТИКА", "ХРАНЕНИЕ",
                        "ШТРАФЫ", "МАРЖА",
                    ]
                    : [
                        "RANK", "LOGIN", "SCORE", "ARTICLES", "ORDERS", "ORDERS SUM", "BUYOUT %", "REVENUE", "LOGISTICS", "STORAGE", "PENALTIES",
                        "MARGIN",
                    ]
                var lines = [header]
                for row in ranking.rows + (ranking.unassigned.map { [$0] } ?? []) {
                    let login = row.userId == 0 ? (ru ? "(не закреплено)" : "(unassigned)") : row.login
                    lines.append([
                        row.rank.map(String.init) ?? "—", login, KPIFormat.number(row.score), String(row.articles),
                        KPIFormat.number(row.total.value(.ordersCount), decimals: 1), KPIFormat.number(row.total.value(.ordersSum)),
                        KPIFormat.number(row.buyoutRate, decimals: 1), KPIFormat.number(row.total.value(.revenue)),
                        KPIFormat.number(row.total.value(.logistics)), KPIFormat.number(row.total.value(.storage)),
                        KPIFormat.number(row.total.value(.penalties)), KPIFormat.number(row.margin),
                    ])
                }
                if let totals = ranking.totals {
                    lines.append([
                        "", ru ? "ИТОГО" : "TOTAL", "", "", KPIFormat.number(totals.value(.ordersCount), decimals: 1),
                        KPIFormat.number(totals.value(.ordersSum)),
                        "", KPIFormat.number(totals.value(.revenue)), KPIFormat.number(totals.value(.logistics)),
                        KPIFormat.number(totals.value(.storage)),
                        KPIFormat.number(totals.value(.penalties)), "",
                    ])
                }
                Format.printTable(lines)
            }
        }
    }
}

struct KPIExplain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "One manager's month: every figure, their part of the rows without an article, and each article's share."
    )
    @Argument(help: "The manager's login.") var user: String
    @OptionGroup var scope: KPIScope
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try scope.validateLanguage()
        await withAssignments { handle in
            let store = KPIStore(handle)
            let month = try handle.month(scope.month)
            let id = try await handle.user(user, option: "USER")
            var account = try await scope.accounts(handle).first
            if scope.account == nil {
                let rows = try await handle.store.client.query("SELECT account_id FROM users WHERE id = \(id)", logger: handle.logger)
                account = try await rows.decode(Int64?.self).first(where: { _ in true }) ?? account
            }
            guard let account else { throw ValidationError("\(user) works in no seller account: name one with --account") }
            let breakdown = try await store.breakdown(account: account, month: month, user: id)
            if json { return try printJSON(breakdown) }
            let ru = scope.russian
            let row = breakdown.row
            print(
                ru
                    ? "\(row.login) (\(row.name)), кабинет \(account), \(month): место \(row.rank.map(String.init) ?? "—"), балл \(KPIFormat.number(row.score))"
                    : "\(row.login) (\(row.name)), account \(account), \(month): rank \(row.rank.map(String.init) ?? "—"), score \(KPIFormat.number(row.score))"
            )
            var lines = [ru ? ["ПОКАЗАТЕЛЬ", "СВОИ АРТИКУЛЫ", "ДОЛЯ ОБЩИХ СТРОК", "ИТОГО"] : ["FIGURE", "OWN ARTICLES", "ALLOCATED", "TOTAL"]]
            for figure in KPIFigure.allCases {
                lines.append([
                    figure.name, KPIFormat.number(row.direct.value(figure), decimals: 4), KPIFormat.number(row.allocated.value(figure), decimals: 4),
                    KPIFormat.number(row.total.value(figure), decimals: 4),
                ])
            }
            lines.append(["buyoutRate", "", "", KPIFormat.number(row.buyoutRate)])
            lines.append(["margin", "", "", KPIFormat.number(row.margin)])
            Format.printTable(lines)
            print(
                ru
                    ? "Общие строки (nm_id 0) делятся по доле положительной выручки: доля \(KPIFormat.number(row.revenueShare * 100)) %."
                    : "Rows without an article (nm_id 0) are shared by positive revenue: this share \(KPIFormat.number(row.revenueShare * 100)) %."
            )
            if !row.costsMissing.isEmpty {
                print((ru ? "Нет себестоимости для: " : "No cost price for: ") + row.costsMissing.map(String.init).joined(separator: ", "))
            }
            for target in row.targets {
                print(
                    (ru ? "План " : "Target ")
                        + "\(target.metric): \(KPIFormat.number(target.target)) → \(KPIFormat.number(target.attainment, decimals: 1)) %"
                )
            }
            var articles = [
                ru ? ["NMID", "ДЕРЖАТЕЛЕЙ", "ЗАКАЗЫ", "К ПЕРЕЧИСЛЕНИЮ", "ЛОГИСТИКА"] : ["NMID", "HOLDERS", "ORDERS", "REVENUE", "LOGISTICS"]
            ]
            for share in breakdown.articles {
                articles.append([
                    String(share.nmId), String(share.holders), KPIFormat.number(share.figures.value(.ordersCount), decimals: 1),
                    KPIFormat.number(share.figures.value(.revenue)), KPIFormat.number(share.figures.value(.logistics)),
                ])
            }
            Format.printTable(articles)
        }
    }
}

struct KPIRecompute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recompute",
        abstract: "Recompute a month now, in this process (without --month: the recent months whose data changed)."
    )
    @OptionGroup var scope: KPIScope
    @Flag(help: "Recompute even if nothing changed.") var force = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try scope.validateLanguage()
        await withAssignments { handle in
            let store = KPIStore(handle)
            let months = try scope.month.map { [try handle.month($0)] } ?? store.recentMonths()
            var outcomes: [KPIStore.Outcome] = []
            let accounts = try await scope.accounts(handle)
            for (index, account) in accounts.enumerated() {
                for month in months {
                    if !json { FileHandle.standardError.write(Data("\r  account \(account) (\(index + 1)/\(accounts.count)), \(month)…".utf8)) }
                    outcomes.append(try await store.recompute(account: account, month: month, force: force, trigger: "cli"))
                }
            }
            if !json { FileHandle.standardError.write(Data("\n".utf8)) }
            if json { return try printJSON(outcomes) }
            let ru = scope.russian
            Format.printTable(
                [
                    ru
                        ? ["КАБИНЕТ", "МЕСЯЦ", "ПЕРЕСЧИТАН", "ЗАКАЗЫ", "ПРОДАЖИ", "СТРОКИ ОТЧЁТА", "МС"]
                        : ["ACCOUNT", "MONTH", "COMPUTED", "ORDERS", "SALES", "REPORT ROWS", "MS"]
                ]
                    + outcomes.map {
                        [
                            String($0.account), $0.month.description, $0.computed ? (ru ? "да" : "yes") : (ru ? "нет изменений" : "unchanged"),
                            String($0.rows["orders"] ?? 0), String($0.rows["sales"] ?? 0), String($0.rows["report"] ?? 0), String($0.durationMs),
                        ]
                    }
            )
        }
    }
}
