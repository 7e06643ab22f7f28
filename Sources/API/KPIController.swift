import Assignments
import FleetAuth
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import JobCatalog
import KPI
import Queue

/// Manager KPIs: a month's ranking, one manager's breakdown and the rows behind it, the history of computations,
/// score weights, monthly targets, cost prices, and a recompute on demand. The workers compute (`kpi.recompute`);
/// this reads what they wrote and sets what they read.
struct KPIController: Sendable {
    let api: APIServices

    var store: KPIStore { api.kpi }

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.rankingEndpoint, ranking)
        routes.add(Self.breakdownEndpoint, breakdown)
        routes.add(Self.sourceRowsEndpoint, sourceRows)
        routes.add(Self.historyEndpoint, history)
        routes.add(Self.recomputeEndpoint, recompute)
        routes.add(Self.settingsEndpoint, settings)
        routes.add(Self.setSettingsEndpoint, setSettings)
        routes.add(Self.targetsEndpoint, targets)
        routes.add(Self.setTargetsEndpoint, setTargets)
        routes.add(Self.costPricesEndpoint, costPrices)
        routes.add(Self.setCostPricesEndpoint, setCostPrices)
        routes.add(Self.importCostPricesEndpoint, importCostPrices)
    }

    static let monthPath = "/api/accounts/{id}/kpi/{month}"

    static let rankingEndpoint = Endpoint(
        .get,
        monthPath,
        "getKPIRanking",
        "A month's KPI ranking of an account's managers, with the unassigned remainder and the account's totals (a manager sees their own row and rank)",
        tag: "kpi",
        access: .kpiReaders,
        response: .json(.ref("KPIRanking"))
    )
    /// `GET /api/accounts/{id}/kpi/{month}`.
    @Sendable func ranking(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (account, month) = try AssignmentsController.scope(context)
        var ranking = try await store.ranking(account: account, month: month)
        if Self.isManagerOnly(principal) {
            guard principal.accountId == account else { throw AssignmentsController.otherAccount(account) }
            ranking.rows = ranking.rows.filter { $0.userId == principal.userId }
            ranking.totals = nil
            ranking.unassigned = nil
        }
        return try JSONBodies.response(ranking)
    }

    static let breakdownEndpoint = Endpoint(
        .get,
        monthPath + "/users/{user}",
        "getKPIBreakdown",
        "One manager's month: the figures, their part of the rows without an article, each article's share (user 0: the unassigned remainder)",
        tag: "kpi",
        access: .kpiReaders,
        response: .json(.ref("KPIBreakdown"))
    )
    /// `GET /api/accounts/{id}/kpi/{month}/users/{user}`.
    @Sendable func breakdown(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (account, month, user) = try userScope(context)
        return try JSONBodies.response(try await store.breakdown(account: account, month: month, user: user))
    }

    static let sourceRowsEndpoint = Endpoint(
        .get,
        monthPath + "/users/{user}/rows",
        "getKPISourceRows",
        "The synced rows behind a manager's figures, a page at a time: orders, sales or report rows of their articles (nmId 0: rows without an article)",
        tag: "kpi",
        access: .kpiReaders,
        query: [
            ("source", ["type": "string", "enum": .array(KPISource.allCases.map { .string($0.rawValue) })], true),
            ("nmId", ["type": "integer", "format": "int64", "minimum": 0], false), ("after", ["type": "string", "maxLength": 200], false),
            ("limit", ["type": "integer", "minimum": 1, "maximum": 1000], false),
        ],
        response: .json(.ref("KPISourcePage"))
    )
    /// `GET /api/accounts/{id}/kpi/{month}/users/{user}/rows`.
    @Sendable func sourceRows(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (account, month, user) = try userScope(context)
        let query = request.uri.queryParameters
        guard let text = query.get("source"), let source = KPISource(rawValue: text) else {
            throw APIError.invalid("source is one of \(KPISource.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var nmId: Int64?
        if let text = query.get("nmId") {
            guard let value = Int64(text), value >= 0 else { throw APIError.invalid("nmId is an article number (0 or more), not \(text)") }
            nmId = value
        }
        let after: String? = query.get("after").map { String($0) }
        if let after, after.count > 200 { throw APIError.invalid("after is at most 200 characters (a key from the last page)") }
        let limit = try QueuesController.query(request, "limit", default: 100, range: 1...1000, what: "a page size")
        return try JSONBodies.response(
            try await store.sourceRows(account: account, month: month, user: user, source: source, nmId: nmId, after: after, limit: limit)
        )
    }

    static let historyEndpoint = Endpoint(
        .get,
        monthPath + "/history",
        "getKPIHistory",
        "Every computation of a month, newest first: when, why, the data watermark, and whether the totals changed",
        tag: "kpi",
        access: .kpiSupervisors,
        response: .json(.ref("KPIHistory"))
    )
    /// `GET /api/accounts/{id}/kpi/{month}/history`.
    @Sendable func history(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (account, month) = try AssignmentsController.scope(context)
        _ = try await api.accounts.account(id: account)
        return try JSONBodies.response(KPIHistory(runs: try await store.history(account: account, month: month)))
    }

    static let recomputeEndpoint = Endpoint(
        .post,
        monthPath + "/recompute",
        "recomputeKPI",
        "Queue a recompute of a month now (kpi.recompute, forced; one at a time per account and month)",
        tag: "kpi",
        access: .kpiLeads,
        status: 202,
        response: .json(.ref("KPIRecomputeQueued"))
    )
    /// `POST /api/accounts/{id}/kpi/{month}/recompute`.
    @Sendable func recompute(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (account, month) = try AssignmentsController.scope(context)
        try Self.requireOwnAccount(principal, account)
        _ = try await api.accounts.account(id: account)
        let job = try KPIRecomputeJob.forced(account: account, month: month.description, reason: "api")
        let result = try await QueuesController.queueCall { try await api.queue.enqueue(job) }
        return try JSONBodies.response(
            KPIRecomputeQueued(accountId: account, month: month, jobId: result.id, alreadyQueued: result.status == .duplicate),
            status: .accepted
        )
    }

    static let settingsEndpoint = Endpoint(
        .get,
        "/api/accounts/{id}/kpi-settings",
        "getKPISettings",
        "How an account scores its managers: metrics, weights and direction (the standard ones until set)",
        tag: "kpi",
        access: .kpiSupervisors,
        response: .json(.ref("KPISettings"))
    )
    /// `GET /api/accounts/{id}/kpi-settings`.
    @Sendable func settings(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let account = try context.parameters.require("id", as: Int64.self)
        return try JSONBodies.response(try await store.settings(account: account))
    }

    static let setSettingsEndpoint = Endpoint(
        .put,
        "/api/accounts/{id}/kpi-settings",
        "setKPISettings",
        "Replace an account's score weights (each month is rescored at its next recompute)",
        tag: "kpi",
        access: .kpiOwners,
        request: .json(.ref("KPISettings")),
        response: .json(.ref("KPISettings"))
    )
    /// `PUT /api/accounts/{id}/kpi-settings`.
    @Sendable func setSettings(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let account = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(KPISettings.self, from: request, context: context)
        try await store.setSettings(account: account, body, by: principal.login)
        try await queueRecentRecompute(account: account, reason: "settings")
        return try JSONBodies.response(try await store.settings(account: account))
    }

    static let targetsEndpoint = Endpoint(
        .get,
        monthPath + "/targets",
        "getKPITargets",
        "A month's targets of an account's managers",
        tag: "kpi",
        access: .kpiSupervisors,
        response: .json(.ref("KPITargets"))
    )
    /// `GET /api/accounts/{id}/kpi/{month}/targets`.
    @Sendable func targets(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (account, month) = try AssignmentsController.scope(context)
        return try JSONBodies.response(KPITargets(targets: try await store.targets(account: account, month: month)))
    }

    static let setTargetsEndpoint = Endpoint(
        .put,
        monthPath + "/targets",
        "setKPITargets",
        "Replace a month's targets (a target not listed is removed); the month is recomputed",
        tag: "kpi",
        access: .kpiLeads,
        request: .json(.ref("KPITargets")),
        response: .json(.ref("KPITargets"))
    )
    /// `PUT /api/accounts/{id}/kpi/{month}/targets`.
    @Sendable func setTargets(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (account, month) = try AssignmentsController.scope(context)
        try Self.requireOwnAccount(principal, account)
        let body = try await JSONBodies.decode(KPITargets.self, from: request, context: context)
        guard body.targets.count <= 10_000 else { throw APIError.invalid("at most 10000 targets at once") }
        try await store.setTargets(account: account, month: month, body.targets, by: principal.login)
        try await queueRecompute(account: account, month: month)
        return try JSONBodies.response(KPITargets(targets: try await store.targets(account: account, month: month)))
    }

    static let costPricesEndpoint = Endpoint(
        .get,
        "/api/accounts/{id}/cost-prices",
        "getCostPrices",
        "An account's cost prices per nmId (₽ per unit): what the margin is computed with",
        tag: "kpi",
        access: .kpiSupervisors,
        response: .json(.ref("CostPrices"))
    )
    /// `GET /api/accounts/{id}/cost-prices`.
    @Sendable func costPrices(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let account = try context.parameters.require("id", as: Int64.self)
        return try JSONBodies.response(CostPrices(prices: try await store.costPrices(account: account)))
    }

    static let setCostPricesEndpoint = Endpoint(
        .put,
        "/api/accounts/{id}/cost-prices",
        "setCostPrices",
        "Set cost prices: replace the table, or add and change the listed ones and remove others; recent months are recomputed",
        tag: "kpi",
        access: .costPriceEditors,
        request: .json(.ref("CostPriceChange")),
        response: .json(.ref("CostPrices"))
    )
    /// `PUT /api/accounts/{id}/cost-prices`.
    @Sendable func setCostPrices(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let account = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(CostPriceChange.self, from: request, context: context)
        guard body.prices.count + (body.remove?.count ?? 0) <= 100_000 else { throw APIError.invalid("at most 100000 cost prices at once") }
        try await store.setCostPrices(account: account, body.prices, remove: body.remove ?? [], replace: body.replace ?? false, by: principal.login)
        try await queueRecentRecompute(account: account, reason: "cost prices")
        return try JSONBodies.response(CostPrices(prices: try await store.costPrices(account: account)))
    }

    static let importCostPricesEndpoint = Endpoint(
        .post,
        "/api/accounts/{id}/cost-prices/import",
        "importCostPrices",
        "Import cost prices from an .xlsx or .csv (an nmId column and a cost price column): a dry run reports every change and problem by row; otherwise all of it applies in one transaction, or none (422 with the problems); recent months are recomputed",
        tag: "kpi",
        access: .costPriceEditors,
        query: [("dryRun", ["type": "boolean"], false), ("replace", ["type": "boolean"], false), ("sheet", ["type": "string"], false)],
        request: .files(["application/octet-stream", AssignmentsController.xlsxType, "text/csv"]),
        response: .json(.ref("CostPriceImportReport"))
    )
    /// `POST /api/accounts/{id}/cost-prices/import`.
    @Sendable func importCostPrices(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let account = try context.parameters.require("id", as: Int64.self)
        let query = request.uri.queryParameters
        let dryRun = try AssignmentsController.flag(query.get("dryRun"), "dryRun")
        let replace = try AssignmentsController.flag(query.get("replace"), "replace")
        let importer = CostPriceImport(store: store)
        let file = try await ImportUpload.file(
            request,
            limit: importer.maxBytes,
            tooLarge: "a cost-price file may be at most \(importer.maxBytes) bytes; split it"
        )
        let report = try await importer.run(file, account: account, sheet: query.get("sheet"), replace: replace, dryRun: dryRun, by: principal.login)
        guard dryRun || report.problems.isEmpty else { return try ImportUpload.rejection(report, problems: report.problems.count, context) }
        if report.applied { try await queueRecentRecompute(account: account, reason: "cost prices") }
        return try JSONBodies.response(report)
    }

    /// Queues the debounced recompute of a month after a change of what it depends on.
    func queueRecompute(account: Int64, month: AssignmentMonth) async throws {
        let request = try KPIRecomputeJob.request(account: account, month: month.description)
        _ = try await QueuesController.queueCall { try await api.queue.enqueue(request) }
    }

    /// Queues the debounced recompute of the recent months (each is recomputed only if what it depends on changed).
    func queueRecentRecompute(account: Int64, reason: String) async throws {
        let request = try JobRequest(
            KPIRecomputeJob.type,
            KPIRecomputeJob.Payload(account: account, reason: reason),
            options: JobOptions(delayMs: 2_000, debounceKey: "kpi.recompute:\(account)")
        )
        _ = try await QueuesController.queueCall { try await api.queue.enqueue(request) }
    }

    /// The account, month and user of the path, after checking that the caller may read that user's KPIs.
    func userScope(_ context: APIRequestContext) throws -> (Int64, AssignmentMonth, Int64) {
        let principal = try context.requirePrincipal()
        let (account, month) = try AssignmentsController.scope(context)
        let user = try context.parameters.require("user", as: Int64.self)
        if Self.isManagerOnly(principal), principal.userId != user || principal.accountId != account {
            throw APIError.forbidden("a manager reads their own KPIs only")
        }
        return (account, month, user)
    }

    /// A caller whose only reading right here is being a manager.
    static func isManagerOnly(_ principal: Principal) -> Bool {
        !principal.roles.contains { [.admin, .director, .headOfSales, .analyst, .accountant].contains($0) }
    }

    /// A head of sales acts on the account they work in only; admins and directors on any.
    static func requireOwnAccount(_ principal: Principal, _ account: Int64) throws {
        guard !principal.roles.contains(.admin), !principal.roles.contains(.director) else { return }
        guard principal.accountId == account else { throw AssignmentsController.otherAccount(account) }
    }
}

/// `GET …/history`.
struct KPIHistory: Codable, Sendable {
    var runs: [KPIRun]
}

/// `POST …/recompute`.
struct KPIRecomputeQueued: Codable, Sendable {
    var accountId: Int64
    var month: AssignmentMonth
    var jobId: String
    /// True when a forced recompute of this month was already queued: this is its job.
    var alreadyQueued: Bool
}

/// `GET`/`PUT …/targets`.
struct KPITargets: Codable, Sendable {
    var targets: [KPITarget]
}

/// `GET /api/accounts/{id}/cost-prices`.
struct CostPrices: Codable, Sendable {
    var prices: [KPICostPrice]
}

/// `PUT /api/accounts/{id}/cost-prices`.
struct CostPriceChange: Codable, Sendable {
    var prices: [KPICostPrice]
    /// Make the list the whole table (default false: add and change the listed ones).
    var replace: Bool?
    /// nmIds whose cost price goes.
    var remove: [Int64]?
}
