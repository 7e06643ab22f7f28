import Queue

/// `backup.run`: one PostgreSQL backup to S3 (run by the workers' `BackupRunner`).
///
/// Unique (`backup.run`): while one is queued or running, another enqueue returns it, so a second click in the UI
/// or a nightly fire during a manual backup never starts a second dump. The worker's heartbeats keep extending
/// the job's lease while it runs, so a long dump is never reclaimed from a live worker. Progress (bytes, parts)
/// is visible in `joycity queue job ID`; the result is the runner's outcome. Retries: S3 outages and
/// failed dumps are retried with backoff (at most 3 attempts); bad S3 credentials, a missing `pg_dump` or missing
/// configuration fail at once (no retry storm).
public enum BackupJob {
    /// The job type.
    public static let type = JobType<Payload>(name: "backup.run")
    /// The unique key every backup job carries.
    public static let uniqueKey = "backup.run"

    /// Who asked for the backup.
    public struct Payload: Codable, Sendable, Equatable {
        /// `schedule`, `cli`, `api:<user>`…
        public var trigger: String?
        public init(trigger: String? = nil) { self.trigger = trigger }
    }

    /// The request to enqueue (unique, 3 attempts).
    public static func request(trigger: String?) throws -> JobRequest {
        try JobRequest(type, Payload(trigger: trigger), options: JobOptions(uniqueKey: uniqueKey, maxAttempts: 3))
    }
}
