import FleetStore
import Queue

/// `wb.sync`: sync one dataset (orders, sales or report) of one seller account from WB into PostgreSQL.
///
/// Unique per account and dataset (a slow sync is never run twice at once: the unique key stops a second enqueue and
/// a fleet-wide concurrency key of 1 stops a second run), incremental from the stored cursor, and on success it
/// chains a debounced `kpi.recompute` for the account. The workers' `WBSyncer` does one run.
///
/// ```
/// joycity accounts sync 3                  # every dataset of account 3
/// joycity queue enqueue wb.sync --payload '{"account":3,"dataset":"orders"}'
/// ```
public enum WBSyncJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "wb.sync")

    /// Which account and dataset; `deep` (report only) re-reads `WB_REPORT_DEEP_REWINDOW` instead of
    /// `WB_REPORT_REWINDOW`, to catch recomputations of older reports.
    public struct Payload: Codable, Sendable, Equatable {
        public var account: Int64
        public var dataset: WBDataset
        public var deep: Bool?
        public init(account: Int64, dataset: WBDataset, deep: Bool? = nil) {
            self.account = account
            self.dataset = dataset
            self.deep = deep
        }
    }

    /// Requests for every dataset of every account, account by account (`deep` applies to the report).
    public static func requests(
        accounts: [Int64],
        datasets: [WBDataset] = WBDataset.allCases,
        deep: Bool = false,
        queue: String? = nil
    ) throws -> [JobRequest] {
        try accounts.flatMap { account in
            try datasets.map { try request(account: account, dataset: $0, deep: deep && $0 == .report, queue: queue) }
        }
    }

    /// The request to enqueue: unique and single-flight per account and dataset. A deep report re-read has a unique
    /// key of its own (a queued ordinary sync does not swallow it) and the same concurrency key (the two never run
    /// at once: they share the report window).
    public static func request(account: Int64, dataset: WBDataset, deep: Bool = false, queue: String? = nil) throws -> JobRequest {
        let key = "wb.sync:\(account):\(dataset.rawValue)"
        return try JobRequest(
            type,
            Payload(account: account, dataset: dataset, deep: deep ? true : nil),
            queue: queue,
            options: JobOptions(uniqueKey: deep ? key + ":deep" : key, concurrencyKey: key, concurrencyLimit: 1)
        )
    }
}
