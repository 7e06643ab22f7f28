import Queue

/// `kpi.recompute`: recompute the manager KPIs of one seller account from its synced WB data and the month's
/// assignment (the workers' `KPIStore`).
///
/// Every successful `wb.sync` enqueues one without a month, debounced per account, so a burst of dataset syncs
/// coalesces into one recompute of the recent months whose data changed; an assignment change enqueues one for its
/// month; the nightly schedule forces the recent months; the API and the CLI queue one for a month.
public enum KPIRecomputeJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "kpi.recompute")

    /// Which account to recompute, and which month (`YYYY-MM`; nil: the recent months).
    public struct Payload: Codable, Sendable, Equatable {
        public var account: Int64
        public var month: String?
        /// Recompute even when nothing the month depends on changed (nil: false).
        public var force: Bool?
        /// Why (`sync`, `assignments`, `nightly`, `api`, `cli`), kept in the month's history (nil: `sync`).
        public var reason: String?

        public init(account: Int64, month: String? = nil, force: Bool? = nil, reason: String? = nil) {
            self.account = account
            self.month = month
            self.force = force
            self.reason = reason
        }
    }

    /// The request a sync (no month) or an assignment change (its month) chains: debounced per account and month
    /// for `debounceMs`.
    public static func request(account: Int64, month: String? = nil, debounceMs: Int64 = 2_000) throws -> JobRequest {
        try JobRequest(
            type,
            Payload(account: account, month: month, reason: month == nil ? "sync" : "assignments"),
            options: JobOptions(delayMs: debounceMs, debounceKey: "kpi.recompute:\(account)" + (month.map { ":\($0)" } ?? ""))
        )
    }

    /// A forced recompute of one month now (the API's and the CLI's), unique per account and month while queued.
    public static func forced(account: Int64, month: String, reason: String) throws -> JobRequest {
        try JobRequest(
            type,
            Payload(account: account, month: month, force: true, reason: reason),
            options: JobOptions(uniqueKey: "kpi.recompute:\(account):\(month):forced")
        )
    }
}
