/// Errors a handler throws to say whether a failed job should be tried again.
///
/// Any other error a handler throws counts as retryable.
public enum JobFailure: Error, CustomStringConvertible, Sendable {
    /// Try again after the queue's backoff (or after `retryAfterMs` when given), until `maxAttempts`.
    case retryable(String, retryAfterMs: Int64? = nil)
    /// Do not try again: the job goes straight to the dead-letter stream with this reason.
    case permanent(String)
    /// Not a failure of the job: run it again at `untilMs` (ms since the epoch) without spending an attempt, e.g.
    /// when an external rate limit says to come back in an hour. Recorded in the job's error history.
    case deferred(String, untilMs: Int64)

    public var description: String {
        switch self {
        case .retryable(let message, let after):
            return after.map { "\(message) (retry after \($0) ms)" } ?? message
        case .permanent(let message): return message
        case .deferred(let message, let until): return "\(message) (deferred until \(until) ms)"
        }
    }
}
