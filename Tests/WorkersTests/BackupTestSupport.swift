import FleetStore
import FleetTesting
import Foundation
import JobCatalog
import PostgresNIO
import Queue
import S3
import Workers

#if canImport(Glibc)
import Glibc
#endif

/// Fills `client`'s database with two tables: `items` (`rows` rows of 128 random hex characters, which compress
/// to about half, so 200k rows dump to ≈ 14 MB) and `notes`.
func seedBackupData(_ client: PostgresClient, rows: Int) async throws {
    try await client.query("CREATE TABLE items (id integer PRIMARY KEY, body text NOT NULL)", logger: TestRedis.logger)
    try await client.query(
        """
        INSERT INTO items SELECT g, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)
        FROM generate_series(1, \(rows)) g
        """,
        logger: TestRedis.logger
    )
    try await client.query("CREATE TABLE notes (id serial PRIMARY KEY, note text, at timestamptz DEFAULT now())", logger: TestRedis.logger)
    try await client.query("INSERT INTO notes (note) SELECT 'note ' || g FROM generate_series(1, 500) g", logger: TestRedis.logger)
}

/// Row counts and content checksums of the seeded tables.
func backupChecksums(_ client: PostgresClient) async throws -> [String] {
    var result: [String] = []
    for sql in [
        "SELECT count(*)::text || ':' || md5(string_agg(id::text || body, ',' ORDER BY id)) FROM items",
        "SELECT count(*)::text || ':' || md5(string_agg(id::text || note || at::text, ',' ORDER BY id)) FROM notes",
    ] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestRedis.logger)
        for try await value in rows.decode(String.self) { result.append(value) }
    }
    return result
}

/// A backup configuration for the database `database` into `s3`, with 5 MiB parts and no retention.
func backupConfiguration(s3: S3Configuration, database: DatabaseConfiguration, pgDump: String = "pg_dump") -> BackupConfiguration {
    BackupConfiguration(s3: s3, prefix: "backups/", partSize: 5 << 20, keepLast: 0, keepDays: 0, database: database, pgDump: pgDump)
}

/// The environment a `joycity` process needs to back `database` up into `s3`.
func backupEnvironment(s3: S3Configuration, database: DatabaseConfiguration) -> [String: String] {
    [
        "S3_ENDPOINT": "http://\(s3.host):\(s3.port ?? 80)", "S3_BUCKET": s3.bucket, "S3_ACCESS_KEY_ID": s3.accessKeyID,
        "S3_SECRET_ACCESS_KEY": s3.secretAccessKey, "DATABASE_URL": TestPostgres.url(database), "BACKUP_PART_SIZE": "5MiB",
        "LOG_LEVEL": "warning",
    ]
}

/// Enqueues one `backup.run`, runs a worker with `runner` until the job completes or dies. → the job.
func runBackupJob(_ runner: BackupRunner, lease: Duration = .seconds(2)) async throws -> JobInfo {
    try await TestRedis.withQueue { queue in
        let job = try await queue.enqueue(try BackupJob.request(trigger: "test"))
        return try await withWorker(queue: queue, registry: FleetJobs.registry(backups: { runner }), configuration: .testing(lease: lease)) { _ in
            try await BackupTests.waitFor(queue, job.id)
        }
    }
}

/// An executable shell script with `body` in the temp directory (a stand-in `pg_dump`). → its path; the caller
/// unlinks it.
func temporaryScript(_ body: String) throws -> String {
    let path = NSTemporaryDirectory() + "joycity-script-\(UUID().uuidString.prefix(8))"
    try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
}
