import FleetCore
import FleetStore
import Foundation
import JobCatalog
import Queue
import Scheduler

/// The fleet's built-in schedules (all overridable with `SCHEDULE_<ID>`, see ``ScheduleOverrides``):
///
/// | id | when (default) | job |
/// |---|---|---|
/// | `backup.nightly` | `0 3 * * *` | `backup.run` (unique: one backup at a time) |
/// | `queue.maintenance` | every 5m | `queue.maintenance` |
/// | `wb.sync:<account>:orders`, `…:sales` | every `WB_SYNC_INTERVAL` (30m) or the account's own interval | `wb.sync` |
/// | `wb.sync:<account>:report` | every `WB_REPORT_SYNC_INTERVAL` (6h) or the account's own interval if longer | `wb.sync` |
/// | `wb.sync:<account>:report-deep` | every `WB_REPORT_DEEP_INTERVAL` (1d) | `wb.sync` deep report re-read |
/// | `kpi.nightly:<account>` | `30 4 * * *` | `kpi.recompute` |
///
/// Per-account schedules exist for every account with sync enabled and a token that is not marked invalid; they
/// follow the accounts table on every scheduler refresh (`SCHEDULER_REFRESH`), and a new account's syncs fire at
/// once. Interval fires are spread over the interval by a hash of
/// the schedule id, so a hundred accounts do not all sync in the same second.
public enum FleetSchedules {
    /// Intervals for the per-account schedules.
    public struct Configuration: Sendable {
        /// Default interval of orders and sales syncs (`WB_SYNC_INTERVAL`, default 30m).
        public var syncInterval: Duration
        /// Interval of report syncs (`WB_REPORT_SYNC_INTERVAL`, default 6h; WB updates the report weekly and
        /// allows one request a minute).
        public var reportSyncInterval: Duration
        /// Interval of deep report re-reads (`WB_REPORT_DEEP_INTERVAL`, default 1d).
        public var deepReportInterval: Duration

        /// Creates a configuration.
        public init(
            syncInterval: Duration = .seconds(1800),
            reportSyncInterval: Duration = .seconds(6 * 3600),
            deepReportInterval: Duration = .seconds(86400)
        ) {
            self.syncInterval = syncInterval
            self.reportSyncInterval = reportSyncInterval
            self.deepReportInterval = deepReportInterval
        }

        /// Reads `WB_SYNC_INTERVAL`, `WB_REPORT_SYNC_INTERVAL` and `WB_REPORT_DEEP_INTERVAL`.
        public init(environment: EnvironmentReader) throws {
            let sync = try environment.duration("WB_SYNC_INTERVAL", default: .seconds(1800), defaultUnit: .seconds)
            let report = try environment.duration("WB_REPORT_SYNC_INTERVAL", default: .seconds(6 * 3600), defaultUnit: .seconds)
            let deep = try environment.duration("WB_REPORT_DEEP_INTERVAL", default: .seconds(86400), defaultUnit: .seconds)
            for (name, value) in [("WB_SYNC_INTERVAL", sync), ("WB_REPORT_SYNC_INTERVAL", report), ("WB_REPORT_DEEP_INTERVAL", deep)]
            where value < .seconds(1) {
                throw ConfigurationError(variable: name, value: environment.string(name) ?? "", expected: "a duration of 1s or more")
            }
            self.init(syncInterval: sync, reportSyncInterval: report, deepReportInterval: deep)
        }
    }

    /// The fleet-wide schedules: nightly backup and queue maintenance.
    public static func builtin(zone: TimeZone) throws -> [Schedule] {
        [
            Schedule(
                id: "backup.nightly",
                spec: .cron(try CronExpression("0 3 * * *"), zone),
                job: try BackupJob.request(trigger: "schedule")
            ),
            Schedule(
                id: "queue.maintenance",
                spec: .interval(period: .seconds(300), phase: .zero),
                job: try JobRequest(MaintenanceJob.type, MaintenanceJob.Payload(), options: JobOptions(uniqueKey: "queue.maintenance"))
            ),
        ]
    }

    /// The schedules of one account.
    public static func schedules(for account: SellerAccount, configuration: Configuration, zone: TimeZone) throws -> [Schedule] {
        let own = account.syncIntervalSeconds.map { Duration.seconds($0) }
        var schedules: [Schedule] = []
        for dataset in WBDataset.allCases {
            let id = "wb.sync:\(account.id):\(dataset.rawValue)"
            var period = own ?? configuration.syncInterval
            if dataset == .report { period = max(period, configuration.reportSyncInterval) }
            schedules.append(
                Schedule(
                    id: id,
                    spec: .interval(period: period, phase: phase(of: id, period: period)),
                    job: try WBSyncJob.request(account: account.id, dataset: dataset),
                    origin: "accounts",
                    firesWhenNew: true
                )
            )
        }
        // The deep re-read fires on its interval only (not when the account is new: the first sync reads it all).
        let deepID = "wb.sync:\(account.id):report-deep"
        let deepPeriod = max(configuration.deepReportInterval, configuration.reportSyncInterval)
        schedules.append(
            Schedule(
                id: deepID,
                spec: .interval(period: deepPeriod, phase: phase(of: deepID, period: deepPeriod)),
                job: try WBSyncJob.request(account: account.id, dataset: .report, deep: true),
                origin: "accounts"
            )
        )
        schedules.append(
            Schedule(
                id: "kpi.nightly:\(account.id)",
                spec: .cron(try CronExpression("30 4 * * *"), zone),
                job: try JobRequest(
                    KPIRecomputeJob.type,
                    .init(account: account.id, force: true, reason: "nightly"),
                    options: JobOptions(uniqueKey: "kpi.nightly:\(account.id)")
                ),
                origin: "accounts"
            )
        )
        return schedules
    }

    /// A stable offset in `[0, period)` for schedule `id` (FNV-1a), the same on every replica.
    static func phase(of id: String, period: Duration) -> Duration {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let periodMs = UInt64(max(period.milliseconds, 1))
        return .milliseconds(Int64(hash % periodMs))
    }

    /// Per-account schedules from the accounts table.
    public struct AccountSchedules: ScheduleSource {
        let accounts: AccountStore
        let configuration: Configuration
        let zone: TimeZone

        /// Creates the source.
        public init(accounts: AccountStore, configuration: Configuration, zone: TimeZone) {
            self.accounts = accounts
            self.configuration = configuration
            self.zone = zone
        }

        public var name: String { "accounts" }

        public func schedules() async throws -> [Schedule] {
            try await accounts.list()
                .filter { $0.syncEnabled && $0.hasToken && $0.tokenStatus != .invalid }
                .flatMap { try FleetSchedules.schedules(for: $0, configuration: configuration, zone: zone) }
        }
    }
}
