import FleetCore
import FleetStore
import Foundation
import JobCatalog
import Logging
import NIOCore
import Queue
import WBKit

/// Runs `wb.sync` jobs: reads one dataset of one account from WB, page by page, into PostgreSQL.
///
/// - orders / sales: from the stored `lastChangeDate` cursor (or `WB_SYNC_LOOKBACK` ago), `flag=0`; each page is
///   upserted and the cursor moved in one statement; the sync stops at `[]` or at a page that moves the cursor
///   nowhere (WB's `>=` rule returns the boundary rows again, so waiting only for `[]` could loop forever).
/// - report: re-reads the window from `WB_REPORT_REWINDOW` before the last completed day to today (MSK) with the
///   `rrdid` cursor until 204/`[]`, then replaces by report: rows of every report it read, and rows dated in the
///   window, that WB no longer sends (a recomputed report) are deleted. A deep run (daily, or `accounts sync --deep`)
///   re-reads `WB_REPORT_DEEP_REWINDOW` (90 days, WB's retention) to catch recomputations of older reports. A crash
///   resumes the open window at its stored `rrdid`.
///
/// One account's failure never touches another's: errors are recorded on the account and the run log, a refused
/// token stops that account (not retried until its token changes), and rate limits are per seller.
public struct WBSyncer: Sendable {
    /// Sync windows.
    ///
    /// - Configuration keys (environment):
    ///   - `WB_SYNC_LOOKBACK` (duration, default 90d): how far back the first sync of an account reads (WB keeps
    ///     orders and sales 90 days; the report starts no earlier than 2024-01-29).
    ///   - `WB_REPORT_REWINDOW` (duration, default 14d): how far before the last completed day each report sync
    ///     re-reads, to pick up recomputed reports.
    ///   - `WB_REPORT_DEEP_REWINDOW` (duration, default 90d): how far back a deep report run re-reads (never before
    ///     `WB_SYNC_LOOKBACK` or 2024-01-29).
    public struct Configuration: Sendable {
        public var lookback: Duration
        public var reportRewindow: Duration
        public var deepRewindow: Duration

        public init(
            lookback: Duration = .seconds(90 * 86_400),
            reportRewindow: Duration = .seconds(14 * 86_400),
            deepRewindow: Duration = .seconds(90 * 86_400)
        ) {
            self.lookback = lookback
            self.reportRewindow = reportRewindow
            self.deepRewindow = deepRewindow
        }

        /// Reads the keys above. - Throws: ``ConfigurationError``.
        public init(environment env: EnvironmentReader) throws {
            self.init(
                lookback: try env.duration("WB_SYNC_LOOKBACK", default: .seconds(90 * 86_400), defaultUnit: .seconds),
                reportRewindow: try env.duration("WB_REPORT_REWINDOW", default: .seconds(14 * 86_400), defaultUnit: .seconds),
                deepRewindow: try env.duration("WB_REPORT_DEEP_REWINDOW", default: .seconds(90 * 86_400), defaultUnit: .seconds)
            )
        }
    }

    /// What a run did (stored as the job's result).
    public struct Outcome: Codable, Sendable, Equatable {
        public var account: Int64
        public var dataset: WBDataset
        public var state: String
        public var pages: Int
        public var rows: Int
        public var written: Int
        public var deleted: Int
        public var cursor: String?
        public var note: String?
    }

    struct Progress: Encodable {
        let dataset: String
        let pages: Int
        let rows: Int
        let cursor: String?
    }

    public let accounts: AccountStore
    public let raw: WBRawStore
    public let client: WBClient
    public let configuration: Configuration
    /// "Now", replaceable in tests.
    public var now: @Sendable () -> Date = { Date() }
    /// Waits until the database schema is current (the process's ``PostgresStore``).
    public var waitForStore: @Sendable () async throws -> Void

    public init(
        accounts: AccountStore,
        raw: WBRawStore,
        client: WBClient,
        configuration: Configuration,
        waitForStore: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.accounts = accounts
        self.raw = raw
        self.client = client
        self.configuration = configuration
        self.waitForStore = waitForStore
    }

    /// Runs one job.
    public func run(_ payload: WBSyncJob.Payload, context: JobContext) async throws {
        do {
            try await waitForStore()
        } catch {
            throw JobFailure.retryable(String(describing: error))
        }
        let outcome = try await sync(account: payload.account, dataset: payload.dataset, deep: payload.deep ?? false, context: context)
        try context.setResult(outcome)
        if outcome.state == "succeeded" {
            try context.enqueueOnSuccess(KPIRecomputeJob.request(account: payload.account))
        }
    }

    /// Syncs one dataset of one account (`deep`: the report over `WB_REPORT_DEEP_REWINDOW`). Throws only what the
    /// queue should retry (or defer).
    public func sync(account id: Int64, dataset: WBDataset, deep: Bool = false, context: JobContext?) async throws -> Outcome {
        var outcome = Outcome(account: id, dataset: dataset, state: "succeeded", pages: 0, rows: 0, written: 0, deleted: 0)
        let credentials: AccountCredentials
        do {
            credentials = try await accounts.credentials(id: id)
        } catch let error as StoreError where error.code == .notFound {
            throw JobFailure.permanent(error.message)
        } catch let error as StoreError where error.code == .invalidInput || error.code == .secretKeyMissing || error.code == .secretUndecryptable {
            outcome.state = "skipped"
            outcome.note = error.message
            try await accounts.recordSync(id: id, state: "skipped", error: error.message)
            return outcome
        }
        let account = credentials.account
        guard account.syncEnabled else {
            outcome.state = "skipped"
            outcome.note = "sync is disabled for this account (joycity accounts enable \(id))"
            return outcome
        }
        guard account.tokenStatus != .invalid else {
            outcome.state = "skipped"
            outcome.note =
                "the WB token was refused (\(account.tokenError ?? "no detail")); not retried until the token changes (joycity accounts set-token \(id) …)"
            return outcome
        }
        // Check the token locally before spending a request.
        let claims: WBToken
        let needed: (WBToken.Scope, String) =
            dataset == .report && account.reportSource == .finance ? (.finance, "Finance") : (.statistics, "Statistics")
        do {
            claims = try WBToken(credentials.token)
            if let problem = claims.problem(for: needed.0, categoryName: needed.1, now: now()) { throw WBError.tokenUnusable(problem) }
        } catch let error as WBError {
            return try await tokenRefused(id, dataset, error, &outcome)
        }
        let wb = WBClient.Credentials(raw: credentials.token, claims: claims)
        let run = try await raw.startRun(account: id, dataset: dataset, jobID: context?.id)
        do {
            switch dataset {
            case .orders, .sales: try await syncChanges(id, dataset, wb, &outcome, context)
            case .report: try await syncReport(id, account.reportSource, wb, run, deep: deep, &outcome, context)
            }
            try await raw.finishRun(run, state: "succeeded", pages: outcome.pages, rows: outcome.rows, error: nil)
            try await accounts.markTokenOK(id: id)
            try await accounts.recordSync(id: id, state: "succeeded", error: nil)
            return outcome
        } catch let error as WBError {
            switch error {
            case .tokenRejected, .tokenUnusable:
                try await raw.finishRun(run, state: "failed", pages: outcome.pages, rows: outcome.rows, error: error.description)
                return try await tokenRefused(id, dataset, error, &outcome)
            case .rateLimited(let after, _):
                try await raw.finishRun(run, state: "deferred", pages: outcome.pages, rows: outcome.rows, error: error.description)
                try await accounts.recordSync(id: id, state: "deferred", error: error.description)
                throw JobFailure.deferred(error.description, untilMs: Int64(now().timeIntervalSince1970 * 1000) + after.milliseconds + 1000)
            case .rejected:
                try await fail(run, id, error, outcome)
                throw JobFailure.permanent(error.description)
            case .unavailable, .malformedResponse:
                try await fail(run, id, error, outcome)
                throw JobFailure.retryable(error.description)
            }
        } catch let error as StoreError {
            await recordEnd("the failed run") { try await fail(run, id, error, outcome) }
            throw JobFailure.retryable(error.description)
        } catch {
            await recordEnd("the failed run") {
                try await raw.finishRun(run, state: "failed", pages: outcome.pages, rows: outcome.rows, error: String(describing: error))
            }
            throw error
        }
    }

    /// Writes a run's end after the run failed on the store itself: tried three times, then logged by name (the
    /// next run of the account and dataset closes the entry as abandoned).
    private func recordEnd(_ what: String, _ write: () async throws -> Void) async {
        do {
            try await client.retryBackoff.retrying(3, write)
        } catch {
            client.logger.error(
                "could not record \(what) in wb_sync_runs; the next run of this dataset closes it as abandoned",
                metadata: ["error": "\(error)"]
            )
        }
    }

    private func fail(_ run: Int64, _ id: Int64, _ error: any Error, _ outcome: Outcome) async throws {
        let message = String(describing: error)
        try await raw.finishRun(run, state: "failed", pages: outcome.pages, rows: outcome.rows, error: message)
        try await accounts.recordSync(id: id, state: "failed", error: message)
    }

    /// Marks the token invalid (it is not used again until it changes) and releases the account's report window, so
    /// no window stays open for a run that will never finish it.
    private func tokenRefused(_ id: Int64, _ dataset: WBDataset, _ error: WBError, _ outcome: inout Outcome) async throws -> Outcome {
        // "WB refused" only when WB said so; a local check says what it found.
        let detail = error.description
        try await accounts.markTokenInvalid(id: id, detail: detail)
        try await accounts.recordSync(id: id, state: "token_invalid", error: detail)
        if dataset == .report { try await raw.releaseReportWindow(account: id) }
        client.logger.warning(
            "WB token unusable; the account is skipped until its token changes",
            metadata: ["wb.account": "\(id)", "error": "\(detail)"]
        )
        outcome.state = "token_invalid"
        outcome.note = detail
        return outcome
    }

    // MARK: orders and sales

    private func syncChanges(
        _ id: Int64,
        _ dataset: WBDataset,
        _ wb: WBClient.Credentials,
        _ outcome: inout Outcome,
        _ context: JobContext?
    ) async throws {
        var cursor =
            try await raw.cursor(account: id, dataset: dataset)?.changeCursor
            ?? MoscowTime.dateTime(now().addingTimeInterval(-configuration.lookback.seconds))
        while true {
            try context?.checkCancellation()
            let current = cursor
            guard
                let stored = try await nextPage(
                    fetch: { dataset == .orders ? try await client.orders(wb, dateFrom: current) : try await client.sales(wb, dateFrom: current) },
                    store: { try await raw.storeChangePage(account: id, dataset: dataset, page: $0) }
                )
            else { break }
            outcome.pages += 1
            outcome.rows += stored.rows
            outcome.written += stored.written
            await reportProgress(
                context,
                Progress(dataset: dataset.rawValue, pages: outcome.pages, rows: outcome.rows, cursor: stored.cursor ?? cursor)
            )
            guard stored.advanced, let next = stored.cursor else { break }
            cursor = next
        }
        outcome.cursor = cursor
    }

    /// Fetches a page and stores it; nil at the end of the data. A page PostgreSQL refuses as malformed (truncated
    /// or broken JSON; nothing of it was written) is fetched again, a bounded number of times.
    private func nextPage<Result>(fetch: () async throws -> WBClient.Page, store: (ByteBuffer) async throws -> Result) async throws -> Result? {
        var malformed = 0
        while true {
            guard case .rows(let body) = try await fetch() else { return nil }
            do {
                return try await store(body)
            } catch let error as StoreError where error.code == .malformedData {
                malformed += 1
                if malformed > client.configuration.maxRetries { throw WBError.malformedResponse(error.message) }
                try await Task.sleep(for: client.backoff(malformed))
            }
        }
    }

    // MARK: report

    private func syncReport(
        _ id: Int64,
        _ source: SellerAccount.ReportSource,
        _ wb: WBClient.Credentials,
        _ newRun: Int64,
        deep: Bool,
        _ outcome: inout Outcome,
        _ context: JobContext?
    ) async throws {
        let today = MoscowTime.day(now())
        let earliest = max(now().addingTimeInterval(-configuration.lookback.seconds), MoscowTime.parseDay("2024-01-29")!)
        var from = MoscowTime.day(earliest)
        if deep {
            from = MoscowTime.day(max(earliest, now().addingTimeInterval(-configuration.deepRewindow.seconds)))
        } else if let completed = try await raw.cursor(account: id, dataset: .report)?.completedTo, let day = MoscowTime.parseDay(completed) {
            from = MoscowTime.day(max(earliest, day.addingTimeInterval(-configuration.reportRewindow.seconds)))
        }
        let window = try await raw.openReportWindow(account: id, from: from, to: today, run: newRun)
        // An open window of a run that crashed is resumed where it stopped, under that run's id.
        guard let run = window.runID, let windowFrom = window.windowFrom, let windowTo = window.windowTo else {
            throw StoreError(.databaseUnavailable, "the report window was not opened")
        }
        var rrdid = window.rrdID
        while true {
            try context?.checkCancellation()
            let after = rrdid
            guard
                let stored = try await nextPage(
                    fetch: {
                        source == .finance
                            ? try await client.financeDetailed(wb, dateFrom: windowFrom, dateTo: windowTo, rrdid: after)
                            : try await client.reportDetail(wb, dateFrom: windowFrom, dateTo: windowTo, rrdid: after)
                    },
                    store: { try await raw.storeReportPage(account: id, run: run, source: source.rawValue, page: $0) }
                )
            else { break }
            outcome.pages += 1
            outcome.rows += stored.rows
            outcome.written += stored.rows
            await reportProgress(
                context,
                Progress(dataset: "report", pages: outcome.pages, rows: outcome.rows, cursor: String(stored.lastRrdID ?? rrdid))
            )
            guard let last = stored.lastRrdID else { break }
            guard last > rrdid else {
                throw WBError.malformedResponse("the report page after rrdid \(rrdid) did not move past it (last rrd_id \(last))")
            }
            rrdid = last
        }
        outcome.deleted = try await raw.closeReportWindow(account: id, run: run)
        outcome.cursor = windowTo
    }
}

extension JobRegistry {
    /// Registers `wb.sync`.
    public mutating func registerWBSync(_ syncer: WBSyncer) {
        register(WBSyncJob.type) { payload, context in try await syncer.run(payload, context: context) }
    }
}

extension WBSyncer {
    /// Records a run's progress, best effort: a progress write that fails (Redis busy for a moment) is logged and
    /// the sync goes on; only its state (the rows, the cursor, the run) must be written.
    func reportProgress(_ context: JobContext?, _ progress: some Encodable) async {
        guard let context else { return }
        do {
            try await context.reportProgress(progress)
        } catch {
            client.logger.warning("could not record sync progress; the sync goes on", metadata: ["error": "\(error)"])
        }
    }
}
