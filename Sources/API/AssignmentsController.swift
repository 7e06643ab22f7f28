import Assignments
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird

/// Monthly article assignments: a month's table, one user's set (replace or change), copying a month, conflicts,
/// the audit, and Excel import, export and template.
struct AssignmentsController: Sendable {
    let api: APIServices

    var store: AssignmentStore { api.assignments }

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.monthTableEndpoint, monthTable)
        routes.add(Self.userArticlesEndpoint, userArticles)
        routes.add(Self.replaceUserArticlesEndpoint, replaceUserArticles)
        routes.add(Self.changeUserArticlesEndpoint, changeUserArticles)
        routes.add(Self.copyMonthEndpoint, copyMonth)
        routes.add(Self.conflictsEndpoint, conflicts)
        routes.add(Self.exportEndpoint, export)
        routes.add(Self.auditEndpoint, audit)
        routes.add(Self.templateEndpoint, template)
        routes.add(Self.importEndpoint, importFile)
    }

    static let monthParameter = "/api/accounts/{id}/assignments/{month}"

    static let monthTableEndpoint = Endpoint(
        .get,
        monthParameter,
        "getAssignmentMonth",
        "A month's assignments of an account: every manager with their nmIds and counts (a manager sees their own row only)",
        tag: "assignments",
        access: .assignmentReaders,
        response: .json(.ref("AssignmentMonthTable"))
    )
    /// `GET /api/accounts/{id}/assignments/{month}`.
    @Sendable func monthTable(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (account, month) = try scope(context)
        var table = try await store.table(account: account, month: month)
        if Self.isManagerOnly(principal) {
            guard principal.accountId == account else { throw Self.otherAccount(account) }
            table.users = table.users.filter { $0.userId == principal.userId }
            table.total = table.users.reduce(0) { $0 + $1.count }
        }
        return try JSONBodies.response(table)
    }

    static let userArticlesEndpoint = Endpoint(
        .get,
        monthParameter + "/users/{user}",
        "getUserAssignments",
        "One user's nmIds in an account and month (a manager may read their own)",
        tag: "assignments",
        access: .assignmentReaders,
        response: .json(.ref("UserAssignments"))
    )
    /// `GET /api/accounts/{id}/assignments/{month}/users/{user}`.
    @Sendable func userArticles(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (account, month) = try scope(context)
        let user = try context.parameters.require("user", as: Int64.self)
        if Self.isManagerOnly(principal), principal.userId != user || principal.accountId != account {
            throw APIError.forbidden("a manager reads their own articles only")
        }
        let nmIds = try await store.articles(account: account, month: month, user: user)
        return try JSONBodies.response(UserAssignments(accountId: account, month: month, userId: user, nmIds: nmIds))
    }

    static let replaceUserArticlesEndpoint = Endpoint(
        .put,
        monthParameter + "/users/{user}",
        "replaceUserAssignments",
        "Replace one user's nmIds in an account and month (nmIds must be in synced data, or force with a comment)",
        tag: "assignments",
        access: .teamLeads,
        request: .json(.ref("AssignmentReplace")),
        response: .json(.ref("AssignmentChange"))
    )
    /// `PUT /api/accounts/{id}/assignments/{month}/users/{user}`.
    @Sendable func replaceUserArticles(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let body = try await JSONBodies.decode(AssignmentReplace.self, from: request, context: context)
        let change = try await target(context) { account, month, user in
            SetChange(account: account, month: month, user: user, operation: .replace(Set(body.nmIds)))
        }
        let results = try await store.commit([change], context: try changeContext(context, force: body.force, comment: body.comment))
        return try JSONBodies.response(results[0])
    }

    static let changeUserArticlesEndpoint = Endpoint(
        .patch,
        monthParameter + "/users/{user}",
        "changeUserAssignments",
        "Add and remove nmIds of one user in an account and month",
        tag: "assignments",
        access: .teamLeads,
        request: .json(.ref("AssignmentDelta")),
        response: .json(.ref("AssignmentChange"))
    )
    /// `PATCH /api/accounts/{id}/assignments/{month}/users/{user}`.
    @Sendable func changeUserArticles(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let body = try await JSONBodies.decode(AssignmentDelta.self, from: request, context: context)
        let change = try await target(context) { account, month, user in
            SetChange(account: account, month: month, user: user, operation: .delta(add: Set(body.add ?? []), remove: Set(body.remove ?? [])))
        }
        let results = try await store.commit([change], context: try changeContext(context, force: body.force, comment: body.comment))
        return try JSONBodies.response(results[0])
    }

    static let copyMonthEndpoint = Endpoint(
        .post,
        monthParameter + "/copy",
        "copyAssignmentMonth",
        "Copy another month's sets (default: the month before) into this month, for every user or one",
        tag: "assignments",
        access: .teamLeads,
        request: .json(.ref("AssignmentCopy")),
        response: .json(.ref("AssignmentCopyResult"))
    )
    /// `POST /api/accounts/{id}/assignments/{month}/copy`.
    @Sendable func copyMonth(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBodies.decode(AssignmentCopy.self, from: request, context: context)
        let (account, month) = try scope(context)
        try Self.requireLeads(principal, account: account)
        if let user = body.userId, !principal.roles.contains(.admin) {
            try UsersController.requireManages(principal, try await api.users.user(id: user))
        }
        let outcome = try await store.copyMonth(
            account: account,
            from: body.from,
            to: month,
            user: body.userId,
            context: try changeContext(context, force: false, comment: body.comment),
            dryRun: body.dryRun ?? false
        )
        return try JSONBodies.response(AssignmentCopyResult(changes: outcome.results, skipped: outcome.skipped, applied: !(body.dryRun ?? false)))
    }

    static let conflictsEndpoint = Endpoint(
        .get,
        monthParameter + "/conflicts",
        "getAssignmentConflicts",
        "Assignments of a month that need attention: holders who moved or were disabled, articles gone from synced data",
        tag: "assignments",
        access: .assignmentSupervisors,
        response: .json(.arrayOf(.ref("AssignmentConflict")))
    )
    /// `GET /api/accounts/{id}/assignments/{month}/conflicts`.
    @Sendable func conflicts(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (account, month) = try scope(context)
        return try JSONBodies.response(try await store.conflicts(account: account, month: month))
    }

    static let exportEndpoint = Endpoint(
        .get,
        monthParameter + "/export",
        "exportAssignmentMonth",
        "A month's assignments as .xlsx, one row per article (importing it again changes nothing)",
        tag: "assignments",
        access: .assignmentSupervisors,
        query: [("lang", ["type": "string", "enum": ["en", "ru"]], false)],
        response: .media(Self.xlsxType)
    )
    /// `GET /api/accounts/{id}/assignments/{month}/export`.
    @Sendable func export(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (account, month) = try scope(context)
        let data = try await AssignmentExport.month(store, account: account, month: month, language: try Self.language(request))
        return Self.xlsx(data, filename: "assignments-\(account)-\(month).xlsx")
    }

    static let templateEndpoint = Endpoint(
        .get,
        "/api/assignments/template",
        "getAssignmentTemplate",
        "An empty assignments workbook with the header row and an instructions sheet",
        tag: "assignments",
        access: .teamLeads,
        query: [("lang", ["type": "string", "enum": ["en", "ru"]], false)],
        response: .media(Self.xlsxType)
    )
    /// `GET /api/assignments/template`.
    @Sendable func template(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let language = try Self.language(request)
        return Self.xlsx(try AssignmentExport.template(language: language), filename: "assignments-template-\(language.rawValue).xlsx")
    }

    static let auditEndpoint = Endpoint(
        .get,
        "/api/assignments/audit",
        "listAssignmentAudit",
        "Every assignment change, newest first, filtered by account, month, user, actor, source or nmId",
        tag: "assignments",
        access: .assignmentSupervisors,
        query: [
            ("account", APISchemas.id, false), ("month", APISchemas.month, false), ("user", APISchemas.id, false),
            ("actor", ["type": "string"], false),
            ("source", ["type": "string", "enum": .array(AssignmentSource.allCases.map { .string($0.rawValue) })], false),
            ("nmId", APISchemas.id, false), ("before", APISchemas.id, false), ("limit", ["type": "integer", "minimum": 1, "maximum": 1000], false),
        ],
        response: .json(.arrayOf(.ref("AssignmentAuditEntry")))
    )
    /// `GET /api/assignments/audit`.
    @Sendable func audit(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        func integer(_ name: String) throws -> Int64? {
            guard let text = query.get(name) else { return nil }
            guard let value = Int64(text), value > 0 else { throw APIError.invalid("\(name) is a positive integer, not \(text)") }
            return value
        }
        var filter = AuditFilter()
        filter.account = try integer("account")
        filter.user = try integer("user")
        filter.nmId = try integer("nmId")
        filter.before = try integer("before")
        filter.limit = Int(try integer("limit") ?? 100)
        filter.actor = query.get("actor")
        if let month = query.get("month") {
            guard let parsed = AssignmentMonth(exactly: month) else { throw APIError.invalid("month is YYYY-MM, not \(month)") }
            filter.month = parsed
        }
        if let source = query.get("source") {
            guard let parsed = AssignmentSource(rawValue: source) else {
                throw APIError.invalid("source is one of \(AssignmentSource.allCases.map(\.rawValue).joined(separator: ", ")), not \(source)")
            }
            filter.source = parsed
        }
        return try JSONBodies.response(try await store.audit(filter))
    }

    static let importEndpoint = Endpoint(
        .post,
        "/api/assignments/import",
        "importAssignments",
        "Import an .xlsx or .csv of assignments: a dry run reports every change and problem by row; otherwise all of it applies in one transaction, or none (422 with the problems)",
        tag: "assignments",
        access: .teamLeads,
        query: [
            ("dryRun", ["type": "boolean"], false), ("sheet", ["type": "string"], false), ("force", ["type": "boolean"], false),
            ("comment", ["type": "string"], false),
        ],
        request: .files(["application/octet-stream", Self.xlsxType, "text/csv"]),
        response: .json(.ref("AssignmentImportReport"))
    )
    /// `POST /api/assignments/import`.
    @Sendable func importFile(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        let dryRun = try Self.flag(query.get("dryRun"), "dryRun")
        let force = try Self.flag(query.get("force"), "force")
        let limit = store.configuration.maxImportBytes
        let file = try await ImportUpload.file(
            request,
            limit: limit,
            tooLarge: "an assignments file may be at most \(limit) bytes (ASSIGNMENT_IMPORT_MAX_BYTES); split it"
        )
        let isAdmin = principal.roles.contains(.admin)
        let leadAccount = principal.accountId
        let permission: AssignmentImport.Permission = { user in
            if isAdmin { return nil }
            guard user.accountId == leadAccount, leadAccount != nil else {
                return "a head of sales assigns articles in their own account only; \(user.login) is in another"
            }
            guard !user.roles.isEmpty, user.roles.allSatisfy({ $0 == UserRole.manager.rawValue }) else {
                return "a head of sales assigns articles to managers only; \(user.login) holds \(user.roles.joined(separator: ", "))"
            }
            return nil
        }
        let report = try await AssignmentImport(store: store).run(
            file,
            sheet: query.get("sheet"),
            context: try changeContext(context, force: force, comment: query.get("comment"), source: .import),
            dryRun: dryRun,
            permission: permission
        )
        guard dryRun || report.problems.isEmpty else { return try ImportUpload.rejection(report, problems: report.problems.count, context) }
        return try JSONBodies.response(report)
    }

    // MARK: - Helpers

    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    static func xlsx(_ data: Data, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: xlsxType, .contentDisposition: "attachment; filename=\"\(filename)\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func language(_ request: Request) throws -> AssignmentExport.Language {
        guard let text = request.uri.queryParameters.get("lang") else { return .en }
        guard let language = AssignmentExport.Language(rawValue: String(text)) else { throw APIError.invalid("lang is en or ru, not \(text)") }
        return language
    }

    static func flag(_ text: String?, _ name: String) throws -> Bool {
        switch text {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        default: throw APIError.invalid("\(name) is true or false, not \(text!)")
        }
    }

    func scope(_ context: APIRequestContext) throws -> (Int64, AssignmentMonth) { try Self.scope(context) }

    /// The account and month of a `…/{id}/…/{month}` path. - Throws: ``APIError`` 400 for a month not `YYYY-MM`.
    static func scope(_ context: APIRequestContext) throws -> (Int64, AssignmentMonth) {
        let account = try context.parameters.require("id", as: Int64.self)
        let text = try context.parameters.require("month")
        guard let month = AssignmentMonth(exactly: String(text)) else {
            throw APIError.invalid("the month in the path is YYYY-MM, not \(text)")
        }
        return (account, month)
    }

    /// The change of the user in the path, after checking that the caller may make it.
    func target(_ context: APIRequestContext, _ make: (Int64, AssignmentMonth, Int64) -> SetChange) async throws -> SetChange {
        let principal = try context.requirePrincipal()
        let (account, month) = try scope(context)
        let user = try context.parameters.require("user", as: Int64.self)
        try Self.requireLeads(principal, account: account)
        try UsersController.requireManages(principal, try await api.users.user(id: user))
        return make(account, month, user)
    }

    func changeContext(_ context: APIRequestContext, force: Bool?, comment: String?, source: AssignmentSource = .api) throws -> ChangeContext {
        let principal = try context.requirePrincipal()
        if let comment, comment.count > 1000 { throw APIError.invalid("a comment is at most 1000 characters") }
        return ChangeContext(actorId: principal.userId, actor: principal.login, source: source, force: force ?? false, comment: comment)
    }

    /// A head of sales changes the account they work in only; an admin any.
    static func requireLeads(_ principal: Principal, account: Int64) throws {
        guard !principal.roles.contains(.admin) else { return }
        guard principal.accountId == account else { throw otherAccount(account) }
    }

    static func otherAccount(_ account: Int64) -> APIError {
        APIError.forbidden("you work in another seller account than \(account); ask an admin to place you in it")
    }

    /// A caller whose only reading right here is being a manager.
    static func isManagerOnly(_ principal: Principal) -> Bool {
        !principal.roles.contains { [.admin, .director, .headOfSales, .analyst].contains($0) }
    }
}

/// `GET …/users/{user}`.
struct UserAssignments: Codable, Sendable {
    var accountId: Int64
    var month: AssignmentMonth
    var userId: Int64
    var nmIds: [Int64]
}

/// `PUT …/users/{user}`.
struct AssignmentReplace: Codable, Sendable {
    var nmIds: [Int64]
    var force: Bool?
    var comment: String?
}

/// `PATCH …/users/{user}`.
struct AssignmentDelta: Codable, Sendable {
    var add: [Int64]?
    var remove: [Int64]?
    var force: Bool?
    var comment: String?
}

/// `POST …/copy`.
struct AssignmentCopy: Codable, Sendable {
    var from: AssignmentMonth?
    var userId: Int64?
    var comment: String?
    var dryRun: Bool?
}

/// What `POST …/copy` did.
struct AssignmentCopyResult: Codable, Sendable {
    var changes: [ChangeResult]
    /// Users of the source month who left the account or were disabled.
    var skipped: [String]
    var applied: Bool
}

/// The 422 of an import with problems (assignments, cost prices): the error, and the whole report.
struct ImportRejection<Report: Codable & Sendable>: Codable, Sendable {
    /// The shape of ``ErrorBody/Detail``.
    struct Detail: Codable, Sendable {
        var code: String
        var message: String
        var requestId: String?
    }
    var error: Detail
    var report: Report
}
