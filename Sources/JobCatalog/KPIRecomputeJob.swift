import Queue

/// `kpi.recompute`: recompute the manager KPIs of one seller account from its synced WB data.
///
/// **Placeholder until the KPI issue lands:** the handler only records which account it was asked about (in its
/// result), so the chain sync → KPI → cache invalidation is wired and observable now. Every successful `wb.sync`
/// enqueues one, debounced per account, so a burst of dataset syncs coalesces into one recompute.
public enum KPIRecomputeJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "kpi.recompute")

    /// Which account to recompute, and which month (`YYYY-MM`; nil: every month its data touches).
    public struct Payload: Codable, Sendable, Equatable {
        public var account: Int64
        public var month: String?
        public init(account: Int64, month: String? = nil) {
            self.account = account
            self.month = month
        }
    }

    /// The request a sync (no month) or an assignment change (its month) chains: debounced per account and month
    /// for `debounceMs`.
    public static func request(account: Int64, month: String? = nil, debounceMs: Int64 = 2_000) throws -> JobRequest {
        try JobRequest(
            type,
            Payload(account: account, month: month),
            options: JobOptions(delayMs: debounceMs, debounceKey: "kpi.recompute:\(account)" + (month.map { ":\($0)" } ?? ""))
        )
    }
}
