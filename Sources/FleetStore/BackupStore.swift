import FleetCore
import Foundation
import Logging
import PostgresNIO

/// One backup as recorded in the `backups` table.
public struct BackupRecord: Sendable, Codable, Equatable {
    /// Lifecycle of a backup.
    public enum Status: String, Sendable, Codable {
        case running, succeeded, failed, deleted
    }

    public var id: Int64
    /// The `backup.run` job that made it.
    public var jobID: String?
    public var bucket: String
    /// The object key in the bucket.
    public var key: String
    /// The database that was dumped.
    public var database: String
    public var status: Status
    /// Bytes uploaded so far (the dump's size once it succeeded).
    public var bytes: Int64
    public var parts: Int
    /// Hex SHA-256 of the whole dump (set on success; also stored as the object's `x-amz-meta-sha256`).
    public var sha256: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var error: String?

    /// How long the backup took, once finished.
    public var durationSeconds: Double? { finishedAt.map { $0.timeIntervalSince(startedAt) } }
}

/// The `backups` table: what was backed up, where, and how it went.
public struct BackupStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    /// Creates a store.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = "id, job_id, bucket, object_key, database_name, status, bytes, parts, sha256, started_at, finished_at, error"

    /// Records a backup that is starting. → its id.
    public func start(jobID: String?, bucket: String, key: String, database: String) async throws -> Int64 {
        let rows = try await client.query(
            """
            INSERT INTO backups (job_id, bucket, object_key, database_name, status) VALUES (\(jobID), \(bucket), \(key), \(database), 'running')
            RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { return id }
        throw StoreError(.invalidInput, "the backups table did not return an id")
    }

    /// Remembers the multipart upload of a running backup, so it can be aborted if the backup dies.
    public func setUpload(id: Int64, uploadID: String?) async throws {
        try await client.query("UPDATE backups SET upload_id = \(uploadID) WHERE id = \(id)", logger: logger)
    }

    /// Records progress.
    public func progress(id: Int64, bytes: Int64, parts: Int) async throws {
        try await client.query("UPDATE backups SET bytes = \(bytes), parts = \(Int32(parts)) WHERE id = \(id)", logger: logger)
    }

    /// Marks a backup succeeded.
    public func succeed(id: Int64, bytes: Int64, parts: Int, sha256: String) async throws {
        try await client.query(
            """
            UPDATE backups SET status = 'succeeded', bytes = \(bytes), parts = \(Int32(parts)), sha256 = \(sha256), upload_id = NULL,
              finished_at = now(), error = NULL
            WHERE id = \(id)
            """,
            logger: logger
        )
    }

    /// Marks a backup failed; `uploadAborted` clears its upload id (nothing left in S3).
    public func fail(id: Int64, error: String, uploadAborted: Bool) async throws {
        if uploadAborted {
            try await client.query(
                "UPDATE backups SET status = 'failed', error = \(error), finished_at = now(), upload_id = NULL WHERE id = \(id)",
                logger: logger
            )
        } else {
            try await client.query("UPDATE backups SET status = 'failed', error = \(error), finished_at = now() WHERE id = \(id)", logger: logger)
        }
    }

    /// The session advisory lock a running backup holds ("jcbackup" in ASCII).
    public static let lockKey: Int64 = 0x6A63_6261_636B_7570

    /// Runs `body` while this process holds the backup lock: a PostgreSQL session advisory lock on a connection kept
    /// for the whole run. So one backup runs at a time across every worker and the CLI, and the lock ends with the
    /// process or its connection (a SIGKILLed worker frees it at once). Whoever holds it knows every other `running`
    /// row and unfinished upload belongs to an attempt that is gone, so a sweep under it never touches a live upload.
    /// - Returns: `body`'s value, or nil without running it when another session holds the lock.
    public func whileHoldingLock<T>(_ body: () async throws -> T) async throws -> T? {
        try await client.withConnection { connection in
            // Read the row: the answer (and any error) comes with it.
            var held = false
            for try await granted in try await connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey))", logger: logger).decode(Bool.self) {
                held = granted
            }
            guard held else { return nil }
            do {
                let result = try await body()
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// The backup that holds the lock, as far as the table knows: the newest `running` row (id, job, start).
    public func runningBackup() async throws -> (id: Int64, jobID: String?, startedAt: Date)? {
        let rows = try await client.query(
            "SELECT id, job_id, started_at FROM backups WHERE status = 'running' ORDER BY id DESC LIMIT 1",
            logger: logger
        )
        for try await (id, job, started) in rows.decode((Int64, String?, Date).self) { return (id, job, started) }
        return nil
    }

    /// Backups whose multipart upload may still hold parts in S3 (failed or interrupted before aborting). Marks
    /// `running` rows other than `except` failed as interrupted first. Call it only under ``whileHoldingLock(_:)``:
    /// then no other backup is live.
    public func orphanedUploads(except: Int64?) async throws -> [(id: Int64, key: String, uploadID: String)] {
        try await client.query(
            """
            UPDATE backups SET status = 'failed', finished_at = now(),
              error = coalesce(error, 'interrupted: the worker stopped before the backup finished')
            WHERE status = 'running' AND id <> \(except ?? -1)
            """,
            logger: logger
        )
        let rows = try await client.query(
            "SELECT id, object_key, upload_id FROM backups WHERE upload_id IS NOT NULL AND status <> 'running' ORDER BY id",
            logger: logger
        )
        var result: [(Int64, String, String)] = []
        for try await (id, key, upload) in rows.decode((Int64, String, String).self) { result.append((id, key, upload)) }
        return result.map { (id: $0.0, key: $0.1, uploadID: $0.2) }
    }

    /// The most recent backups, newest first.
    public func list(limit: Int = 50) async throws -> [BackupRecord] {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM backups ORDER BY started_at DESC, id DESC LIMIT \(max(1, min(limit, 10_000)))"),
            logger: logger
        )
        var records: [BackupRecord] = []
        for try await row in rows { records.append(try Self.decode(row)) }
        return records
    }

    /// The backup stored under `key`, if recorded.
    public func record(key: String) async throws -> BackupRecord? {
        var binds = PostgresBindings()
        binds.append(key)
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM backups WHERE object_key = $1 ORDER BY id DESC LIMIT 1", binds: binds),
            logger: logger
        )
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// Marks the backup stored under `key` deleted (retention removed the object).
    public func markDeleted(bucket: String, key: String) async throws {
        try await client.query(
            "UPDATE backups SET status = 'deleted', deleted_at = now() WHERE bucket = \(bucket) AND object_key = \(key) AND status = 'succeeded'",
            logger: logger
        )
    }

    static func decode(_ row: PostgresRow) throws -> BackupRecord {
        let (id, job, bucket, key, database, status, bytes, parts, sha, started, finished, error) = try row.decode(
            (Int64, String?, String, String, String, String, Int64, Int32, String?, Date, Date?, String?).self
        )
        return BackupRecord(
            id: id,
            jobID: job,
            bucket: bucket,
            key: key,
            database: database,
            status: .init(rawValue: status) ?? .failed,
            bytes: bytes,
            parts: Int(parts),
            sha256: sha,
            startedAt: started,
            finishedAt: finished,
            error: error
        )
    }
}
