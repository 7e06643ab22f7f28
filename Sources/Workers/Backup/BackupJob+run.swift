import FleetCore
import FleetStore
import JobCatalog
import Logging
import Queue

extension BackupJob {
    /// How long a backup job waits when another backup is running.
    static let busyRetry = Duration.seconds(60)

    /// Runs a backup for a job.
    public static func run(_ payload: Payload, _ context: JobContext, runner: () throws -> BackupRunner) async throws {
        let backups: BackupRunner
        do {
            backups = try runner()
        } catch let error as ConfigurationError {
            throw JobFailure.permanent("backups are not configured: \(error)")
        }
        do {
            let outcome = try await backups.run(jobID: context.id) { progress in
                try? await context.reportProgress(progress)
            }
            try context.setResult(outcome)
        } catch let error as BackupError where error.kind == .busy {
            // Not this job's failure: come back when the other backup has likely finished, without spending an attempt.
            throw JobFailure.deferred(error.message, untilMs: SystemClock.nowMs() + busyRetry.milliseconds)
        } catch let error as BackupError {
            throw error.isRetryable ? JobFailure.retryable(error.message) : JobFailure.permanent(error.message)
        }
    }
}

extension JobRegistry {
    /// Registers `backup.run`; `runner` builds the runner (from the environment) when a backup starts, so a worker
    /// without S3 settings still runs every other job, and a backup there fails with what to set.
    public mutating func registerBackup(runner: @escaping @Sendable () throws -> BackupRunner) {
        register(BackupJob.type) { payload, context in
            try await BackupJob.run(payload, context, runner: runner)
        }
    }
}
