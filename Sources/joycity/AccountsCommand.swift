import ArgumentParser
import FleetCore
import FleetStore
import Foundation
import JobCatalog
import Logging
import PostgresNIO
import Queue
import WBKit
import Workers

/// `joycity accounts …`: seller accounts (legal entities) and their WB tokens, until the API exists.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Add, list and manage seller accounts and their WB tokens.",
        subcommands: [
            AccountsAdd.self, AccountsList.self, AccountsDisable.self, AccountsEnable.self, AccountsSetToken.self, AccountsSetInterval.self,
            AccountsSync.self, AccountsRotateKeys.self,
        ]
    )
}

/// Runs `body` with the account store (migrations applied first), turning failures into a message and exit code.
func withAccounts(_ body: @Sendable (AccountStore, EnvironmentReader) async throws -> Void) async {
    do {
        let environment = EnvironmentReader()
        let logger = Runtime.cliLogger("joycity.accounts")
        let secrets = try SecretBox(environment: environment)
        try await Runtime.withDatabase(environment: environment, logger: logger) { client in
            try await Migrator(client: client, logger: logger).migrate()
            try await body(AccountStore(client: client, secrets: secrets, logger: logger), environment)
        }
    } catch {
        Runtime.fail(error)
    }
}

/// Decodes a token and checks it as the API does before storing one (shape, seller id, expiry, not a test token,
/// the Statistics category every sync needs).
func inspectToken(_ token: String) throws -> WBToken {
    let claims = try WBToken(token.trimmingCharacters(in: .whitespacesAndNewlines))
    if let problem = claims.problem(for: .statistics, categoryName: "Statistics") { throw WBError.tokenUnusable(problem) }
    return claims
}

struct AccountsAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a seller account.")
    @Option(help: "Legal entity name.") var name: String
    @Option(help: "INN: 10 digits (company) or 12 (sole proprietor).") var inn: String
    @Option(help: "WB API token (a JWT with the Statistics category); or set WB_TOKEN.") var token: String?
    @Option(help: "Detailed report source: statistics (reportDetailByPeriod v5) or finance (2026 finance-api).") var reportSource: String =
        "statistics"
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let name = self.name
        let inn = self.inn
        let json = self.json
        let token = self.token ?? ProcessInfo.processInfo.environment["WB_TOKEN"]
        guard let source = SellerAccount.ReportSource(rawValue: reportSource) else {
            throw ValidationError("--report-source must be statistics or finance")
        }
        await withAccounts { store, _ in
            let claims = try token.map { try inspectToken($0) }
            let account = try await store.add(
                name: name,
                inn: inn,
                token: token?.trimmingCharacters(in: .whitespacesAndNewlines),
                sellerID: claims?.sellerID,
                expiresAt: claims?.expiresAt,
                reportSource: source
            )
            if json { try printJSON(account) } else { print("added seller account \(account.id) (\(account.name), INN \(account.inn))") }
        }
    }
}

struct AccountsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List seller accounts (tokens are never shown).")
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let json = self.json
        await withAccounts { store, _ in
            let accounts = try await store.list()
            if json { return try printJSON(accounts) }
            var rows = [["ID", "NAME", "INN", "SYNC", "EVERY", "TOKEN", "REPORT", "LAST SYNC", "ERROR"]]
            for a in accounts {
                rows.append([
                    String(a.id), a.name, a.inn, a.syncEnabled ? "on" : "off",
                    a.syncIntervalSeconds.map { Format.duration(ms: Int64($0) * 1000) } ?? "default",
                    a.hasToken ? a.tokenStatus.rawValue : "none", a.reportSource.rawValue,
                    a.lastSyncState ?? "-", String((a.tokenError ?? a.lastSyncError ?? "").prefix(60)),
                ])
            }
            Format.printTable(rows)
        }
    }
}

/// Turns an account's sync on or off, saying so.
func setSync(_ id: Int64, _ enabled: Bool) async {
    await withAccounts { store, _ in
        try await store.setSyncEnabled(id: id, enabled)
        print("sync \(enabled ? "enabled" : "disabled") for account \(id)")
    }
}

struct AccountsDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop syncing an account.")
    @Argument(help: "Account id.") var id: Int64
    func run() async throws { await setSync(id, false) }
}

struct AccountsEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Sync an account again.")
    @Argument(help: "Account id.") var id: Int64
    func run() async throws { await setSync(id, true) }
}

struct AccountsSetToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-token",
        abstract: "Replace an account's WB token (clears a 'token invalid' mark)."
    )
    @Argument(help: "Account id.") var id: Int64
    @Argument(help: "The new WB API token; or set WB_TOKEN.") var token: String?
    func run() async throws {
        let id = self.id
        guard let token = (self.token ?? ProcessInfo.processInfo.environment["WB_TOKEN"])?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw ValidationError("give the token as an argument or in WB_TOKEN")
        }
        await withAccounts { store, _ in
            let claims = try inspectToken(token)
            try await store.setToken(id: id, token: token, sellerID: claims.sellerID, expiresAt: claims.expiresAt)
            print("token of account \(id) replaced (seller \(claims.sellerID))")
        }
    }
}

struct AccountsSetInterval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-interval",
        abstract: "How often the scheduler syncs an account: a duration (15m, 1h) or `default` (WB_SYNC_INTERVAL)."
    )
    @Argument(help: "Account id.") var id: Int64
    @Argument(help: "1m to 7d, or default.") var interval: String

    func run() async throws {
        let id = self.id
        var seconds: Int?
        if interval.lowercased() != "default" {
            guard let duration = DurationParser.parse(interval, defaultUnit: .seconds) else {
                throw ValidationError("\(interval) is not a duration (15m, 1h, 90s) or `default`")
            }
            seconds = Int(duration.milliseconds / 1000)
        }
        await withAccounts { [seconds] store, _ in
            try await store.setSyncInterval(id: id, seconds: seconds)
            print(
                "account \(id) syncs \(seconds.map { "every \(Format.duration(ms: Int64($0) * 1000))" } ?? "at the fleet default (WB_SYNC_INTERVAL)") (the scheduler picks it up within SCHEDULER_REFRESH)"
            )
        }
    }
}

struct AccountsSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Enqueue wb.sync jobs for an account (or --all enabled accounts).")
    @Argument(help: "Account id.") var id: Int64?
    @Flag(help: "Every enabled account.") var all = false
    @Option(help: "Datasets: orders,sales,report (default all).") var datasets: String = "orders,sales,report"
    @Flag(help: "Re-read the report over WB_REPORT_DEEP_REWINDOW (90 days) to catch recomputed older reports.") var deep = false

    func validate() throws {
        if (id == nil) == !all { throw ValidationError("give an account id or --all") }
        if deep && !datasets.split(separator: ",").contains("report") {
            throw ValidationError("--deep applies to the report: add report to --datasets")
        }
    }

    func run() async throws {
        let id = self.id
        let deep = self.deep
        let datasetNames = datasets.split(separator: ",").map(String.init)
        let sets = datasetNames.compactMap(WBDataset.init(rawValue:))
        guard sets.count == datasetNames.count, !sets.isEmpty else { throw ValidationError("--datasets takes orders, sales, report") }
        await withAccounts { store, environment in
            let ids: [Int64]
            if let id { ids = [id] } else { ids = try await store.list().filter(\.syncEnabled).map(\.id) }
            if let id { _ = try await store.account(id: id) }
            let requests = try WBSyncJob.requests(accounts: ids, datasets: sets, deep: deep)
            let jobIDs = try await Runtime.withRedis(environment: environment, logger: Runtime.cliLogger("joycity.accounts"), name: "joycity-cli") {
                try await StreamQueue(redis: $0, configuration: try .init(environment: environment)).enqueue(requests)
            }
            for (request, job) in zip(requests, jobIDs) { print("\(job.id)  \(request.type) \(request.payload)") }
        }
    }
}

struct AccountsRotateKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-keys",
        abstract: "Re-seal every stored token with the active key (JOYCITY_SECRET_KEY_ID)."
    )
    func run() async throws {
        await withAccounts { store, _ in
            let count = try await store.rotateKeys()
            print("re-sealed \(count) tokens with key \(store.secrets.activeKeyID ?? "?")")
        }
    }
}
