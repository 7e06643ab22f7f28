import Queue

/// `kpi.recompute`: recompute the manager KPIs of one seller account from its synced WB data.
///
/// **Placeholder until the KPI issue lands:** the handler only records which account it was asked about (in its
/// result), so the chain sync → KPI → cache invalidation is wired and observable now. Every successful `wb.sync`
/// enqueues one, debounced per account, so a burst of dataset syncs coalesces into one recompute.
public enum KPIRecomputeJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "kpi.recompute")

    /// Which account to recompute.
    public struct Payload: Codable, Sendable, Equatable {
        public var account: Int64
        public init(account: Int64) { self.account = account }
    }

    /// The request a sync chains: debounced per account for `debounceMs`.
    public static func request(account: Int64, debounceMs: Int64 = 2_000) throws -> JobRequest {
        try JobRequest(type, Payload(account: account), options: JobOptions(delayMs: debounceMs, debounceKey: "kpi.recompute:\(account)"))
    }
}
