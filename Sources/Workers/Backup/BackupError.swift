import S3

/// A backup or restore that failed; the description says what to do, ``isRetryable`` whether a retry can help.
public struct BackupError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public enum Kind: String, Sendable {
        /// `pg_dump` / `pg_restore` is not installed where configured.
        case toolMissing
        /// `pg_dump` / `pg_restore` exited with an error.
        case toolFailed
        /// S3 failed (see ``s3``).
        case storage
        /// The downloaded dump's SHA-256 differs from the one recorded at backup time.
        case checksumMismatch
        /// No SHA-256 was recorded for the backup (no `.sha256` object, no row), so it cannot be verified.
        case checksumMissing
        /// No such backup.
        case notFound
        /// Bad input (key, target database).
        case invalidInput
        /// Another backup is running (it holds the backup lock); a job waits a minute and tries again.
        case busy
    }

    public let kind: Kind
    public let message: String
    /// Whether running again later can succeed.
    public let isRetryable: Bool

    init(_ kind: Kind, _ message: String, retryable: Bool) {
        self.kind = kind
        self.message = message
        self.isRetryable = retryable
    }

    init(_ error: S3Error, while doing: String) {
        self.init(.storage, "\(doing): \(error.message)", retryable: error.isRetryable)
    }

    public var description: String { message }
}
