import Queue

/// `cache.invalidate`: one account's assignments of one month changed. The handler drops the proxy edge's cached
/// filtered responses of that account (keys under ``cacheKeyPattern(prefix:account:)``) and enqueues a debounced
/// KPI recompute of the account and month. Enqueued debounced per account and month, so a burst of edits (an
/// import, many clicks) coalesces into one run after the last change.
public enum CacheInvalidateJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "cache.invalidate")

    /// Which account and month changed.
    public struct Payload: Codable, Sendable, Equatable {
        public var account: Int64
        /// `YYYY-MM`.
        public var month: String
        public init(account: Int64, month: String) {
            self.account = account
            self.month = month
        }
    }

    /// The Redis key pattern of the proxy edge's cached filtered responses of `account` (the proxy writes them
    /// under `<prefix>:proxy:cache:<account>:…`).
    public static func cacheKeyPattern(prefix: String, account: Int64) -> String { "\(prefix):proxy:cache:\(account):*" }

    /// The request every assignment change enqueues: debounced per account and month for `debounceMs` (0: at once,
    /// one run per change).
    public static func request(account: Int64, month: String, debounceMs: Int64) throws -> JobRequest {
        let options =
            debounceMs > 0 ? JobOptions(delayMs: debounceMs, debounceKey: "cache.invalidate:\(account):\(month)") : JobOptions()
        return try JobRequest(type, Payload(account: account, month: month), options: options)
    }
}
