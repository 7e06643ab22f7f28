import ArgumentParser
import Assignments
import FleetCore
import FleetStore
import Foundation
import Logging
import PostgresNIO
import Queue
import Spreadsheet

/// `joycity assignments …`: monthly article assignments from the command line. Changes are audited with source
/// `cli` (or `import`/`copy`) and the actor given by `--as` (default `cli:$USER`), and announced like any other.
struct AssignmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assignments",
        abstract: "List, import, export and copy monthly article assignments; read their audit.",
        subcommands: [
            AssignmentsList.self, AssignmentsImport.self, AssignmentsExport.self, AssignmentsTemplate.self, AssignmentsCopyMonth.self,
            AssignmentsAudit.self,
        ]
    )
}

/// Where and as whom.
struct AssignmentScope: ParsableArguments {
    @Option(help: "The seller account: its id or INN.") var account: String
    @Option(help: "The month, YYYY-MM (default: this month, in ASSIGNMENT_TIMEZONE).") var month: String?
}

struct AssignmentActor: ParsableArguments {
    @Option(name: .customLong("as"), help: "Record this login as the actor in the audit (default: cli:$USER).") var actor: String?
    @Option(help: "A comment for the audit (required with --force).") var comment: String?
}

/// The pieces a command works with: the store (announcing through Redis), the environment.
struct AssignmentsHandle: Sendable {
    let store: AssignmentStore
    let environment: EnvironmentReader
    let logger: Logger

    func account(_ text: String) async throws -> Int64 {
        let rows = try await store.client.query(
            "SELECT id FROM seller_accounts WHERE inn = \(text) OR id::text = \(text) ORDER BY (inn = \(text)) DESC LIMIT 1",
            logger: logger
        )
        guard let id = try await rows.decode(Int64.self).first(where: { _ in true }) else {
            throw AssignmentError(.notFound, "no seller account has the id or INN \(text); `joycity accounts list` shows them")
        }
        return id
    }

    func month(_ text: String?) throws -> AssignmentMonth {
        guard let text else { return store.configuration.currentMonth() }
        guard let month = AssignmentMonth(text) else { throw ValidationError("--month is YYYY-MM, not \(text)") }
        return month
    }

    func context(_ actor: AssignmentActor, source: AssignmentSource, force: Bool = false) async throws -> ChangeContext {
        guard let login = actor.actor else {
            return ChangeContext(
                actorId: nil,
                actor: "cli:\(environment.string("USER", default: "unknown"))",
                source: source,
                force: force,
                comment: actor.comment
            )
        }
        let id = try await user(login, option: "--as")
        return ChangeContext(actorId: id, actor: login.lowercased(), source: source, force: force, comment: actor.comment)
    }

    /// The id of the user with `login`, named by command-line option `option`.
    func user(_ login: String, option: String) async throws -> Int64 {
        let rows = try await store.client.query("SELECT id FROM users WHERE login = \(login.lowercased())", logger: logger)
        guard let id = try await rows.decode(Int64.self).first(where: { _ in true }) else {
            throw AssignmentError(.notFound, "\(option) names no user: \(login)")
        }
        return id
    }
}

/// Runs `body` with a migrated database and a Redis client (for the announcements), both closed afterwards.
func withAssignments(_ body: @escaping @Sendable (AssignmentsHandle) async throws -> Void) async {
    do {
        let environment = EnvironmentReader()
        let logger = Runtime.cliLogger("joycity.assignments")
        let configuration = try AssignmentConfiguration(environment: environment)
        let queueConfiguration = try StreamQueue.Configuration(environment: environment)
        try await Runtime.withDatabase(environment: environment, logger: logger) { client in
            try await Migrator(client: client, logger: logger).migrate()
            try await Runtime.withRedis(environment: environment, logger: logger, name: "joycity-cli") { redis in
                let queue = StreamQueue(redis: redis, configuration: queueConfiguration)
                let events = AssignmentEvents(client: client, queue: queue, debounce: configuration.invalidateDebounce, logger: logger)
                let store = AssignmentStore(client: client, configuration: configuration, events: events, logger: logger)
                try await body(AssignmentsHandle(store: store, environment: environment, logger: logger))
            }
        }
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch let error as AssignmentError {
        for problem in error.problems {
            FileHandle.standardError.write(Data("  row \(problem.row)\(problem.column.map { " column \($0)" } ?? ""): \(problem.message)\n".utf8))
        }
        Runtime.fail(error)
    } catch {
        Runtime.fail(error)
    }
}

struct AssignmentsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "A month's table: each manager with their nmIds.")
    @OptionGroup var scope: AssignmentScope
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        await withAssignments { handle in
            let table = try await handle.store.table(account: try await handle.account(scope.account), month: try handle.month(scope.month))
            if json { return try printJSON(table) }
            print("account \(table.accountId), \(table.month): \(table.total) article(s)")
            Format.printTable(
                [["USER", "LOGIN", "COUNT", "NMIDS"]]
                    + table.users.map { user in
                        let list = user.nmIds.prefix(8).map(String.init).joined(separator: ",") + (user.nmIds.count > 8 ? ",…" : "")
                        return [String(user.userId), user.login, String(user.count), list]
                    }
            )
        }
    }
}

struct AssignmentsImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an .xlsx or .csv: each user named for an account and month gets exactly the file's articles there.",
        discussion:
            "Columns (any order, English or Russian headers): login or email, account INN or id, month, nmId (or nmIds, a list). See docs/assignments.md."
    )
    @Argument(help: "The .xlsx or .csv file.") var file: String
    @Flag(help: "Report what would change and every problem; change nothing.") var dryRun = false
    @Option(help: "The sheet to read (default: the first).") var sheet: String?
    @Flag(help: "Accept nmIds that are not in synced data (needs --comment).") var force = false
    @OptionGroup var actor: AssignmentActor
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        await withAssignments { handle in
            let report = try await AssignmentImport(store: handle.store).run(
                data,
                sheet: sheet,
                context: try await handle.context(actor, source: .import, force: force),
                dryRun: dryRun,
                progress: { rows in
                    if !json { FileHandle.standardError.write(Data("\r  read \(rows) rows…".utf8)) }
                }
            )
            if !json { FileHandle.standardError.write(Data("\n".utf8)) }
            if json { try printJSON(report) } else { printReport(report) }
            if !report.problems.isEmpty { throw ExitCode(1) }
        }
    }

    func printReport(_ report: ImportReport) {
        print("\(report.rows) row(s) read (\(report.hiddenRows) hidden), \(report.format.rawValue)")
        for problem in report.problems.prefix(200) {
            print("  row \(problem.row)\(problem.column.map { " column \($0)" } ?? ""): \(problem.kind.rawValue): \(problem.message)")
        }
        if report.problems.count > 200 { print("  … and \(report.problems.count - 200) more (--json lists all)") }
        Format.printTable(
            [["ACCOUNT", "MONTH", "LOGIN", "ADDED", "REMOVED", "UNCHANGED"]]
                + report.changes.map {
                    [String($0.accountId), $0.month.description, $0.login, String($0.added.count), String($0.removed.count), String($0.unchanged)]
                }
        )
        let verdict =
            report.applied
            ? "applied" : report.problems.isEmpty ? "dry run: nothing changed" : "\(report.problems.count) problem(s): nothing was applied"
        print("added \(report.added), removed \(report.removed), unchanged \(report.unchanged) — \(verdict)")
    }
}

struct AssignmentsExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a month's assignments as .xlsx (importable again).")
    @OptionGroup var scope: AssignmentScope
    @Option(name: .shortAndLong, help: "The file to write.") var output: String
    @Option(help: "Header language: en or ru.") var lang: String = "en"

    func run() async throws {
        guard let language = AssignmentExport.Language(rawValue: lang) else { throw ValidationError("--lang is en or ru") }
        await withAssignments { handle in
            let month = try handle.month(scope.month)
            let data = try await AssignmentExport.month(
                handle.store,
                account: try await handle.account(scope.account),
                month: month,
                language: language
            )
            try data.write(to: URL(fileURLWithPath: output))
            print("wrote \(output) (\(data.count) bytes)")
        }
    }
}

struct AssignmentsTemplate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "template", abstract: "Write the empty import template as .xlsx.")
    @Option(name: .shortAndLong, help: "The file to write.") var output: String
    @Option(help: "Header language: en or ru.") var lang: String = "en"

    func run() async throws {
        guard let language = AssignmentExport.Language(rawValue: lang) else { throw ValidationError("--lang is en or ru") }
        let data = try AssignmentExport.template(language: language)
        try data.write(to: URL(fileURLWithPath: output))
        print("wrote \(output) (\(data.count) bytes)")
    }
}

struct AssignmentsCopyMonth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-month",
        abstract: "Copy a month's sets (default: the month before) into --month, for every user or --user."
    )
    @OptionGroup var scope: AssignmentScope
    @Option(help: "The month to copy from, YYYY-MM (default: the month before --month).") var from: String?
    @Option(help: "Copy this user's set only (login).") var user: String?
    @Flag(help: "Report what would change; change nothing.") var dryRun = false
    @OptionGroup var actor: AssignmentActor
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        await withAssignments { handle in
            let to = try handle.month(scope.month)
            let source = try from.map { text in
                guard let month = AssignmentMonth(text) else { throw ValidationError("--from is YYYY-MM, not \(text)") }
                return month
            }
            var userID: Int64?
            if let user { userID = try await handle.user(user, option: "--user") }
            let outcome = try await handle.store.copyMonth(
                account: try await handle.account(scope.account),
                from: source,
                to: to,
                user: userID,
                context: try await handle.context(actor, source: .copy),
                dryRun: dryRun
            )
            if json { return try printJSON(outcome.results) }
            Format.printTable(
                [["LOGIN", "ADDED", "REMOVED", "UNCHANGED"]]
                    + outcome.results.map { [$0.login, String($0.added.count), String($0.removed.count), String($0.unchanged)] }
            )
            if !outcome.skipped.isEmpty { print("skipped (left the account or disabled): \(outcome.skipped.joined(separator: ", "))") }
            print(dryRun ? "dry run: nothing changed" : "copied into \(to)")
        }
    }
}

struct AssignmentsAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Assignment changes, newest first.")
    @Option(help: "Account id or INN.") var account: String?
    @Option(help: "Month, YYYY-MM.") var month: String?
    @Option(help: "Target user's login.") var user: String?
    @Option(help: "Actor (a login, or cli:<name>).") var actor: String?
    @Option(help: "Source: api, import, copy, cli, migration.") var source: String?
    @Option(help: "Only changes of this nmId.") var nmId: Int64?
    @Option(help: "At most this many (1–1000).") var limit: Int = 50
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        await withAssignments { handle in
            var filter = AuditFilter(actor: actor, nmId: nmId, limit: limit)
            if let account { filter.account = try await handle.account(account) }
            if let month { filter.month = try handle.month(month) }
            if let source {
                guard let parsed = AssignmentSource(rawValue: source) else {
                    throw ValidationError("--source is api, import, copy, cli or migration")
                }
                filter.source = parsed
            }
            if let user { filter.user = try await handle.user(user, option: "--user") }
            let entries = try await handle.store.audit(filter)
            if json { return try printJSON(entries) }
            Format.printTable(
                [["ID", "AT", "ACTOR", "SOURCE", "ACCOUNT", "MONTH", "USER", "ADDED", "REMOVED", "COMMENT"]]
                    + entries.map {
                        [
                            String($0.id), ISO8601DateFormatter().string(from: $0.at), $0.actor, $0.source.rawValue, String($0.accountId),
                            $0.month.description, $0.userLogin ?? "-", String($0.added.count), String($0.removed.count), $0.comment ?? "",
                        ]
                    }
            )
        }
    }
}
