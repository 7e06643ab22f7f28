import FleetCore
import FleetStore
import FleetTesting
import Foundation
import JobCatalog
import PostgresNIO
import Queue
import S3
import Testing
import Workers

#if canImport(Glibc)
import Glibc
#endif

/// `backup.run` against real PostgreSQL and a local S3 (moto) that checks signatures.
@Suite("Backups", .serialized)
struct BackupTests {
    static func waitFor(
        _ queue: StreamQueue,
        _ id: String,
        states: Set<String> = ["completed", "dead"],
        timeout: Duration = .seconds(120)
    ) async throws -> JobInfo {
        var last: JobInfo?
        _ = await eventually(timeout: timeout) {
            last = try await queue.job(id)
            return last.map { states.contains($0.state) } ?? false
        }
        return try #require(last, "job \(id) unknown")
    }

    @Test("round trip: a worker dumps in parts to S3; the download restores to the same rows and checksums")
    func roundTrip() async throws {
        let s3 = try await TestS3.bucket()
        try await TestPostgres.withDatabase { postgres, database in
            try await seedBackupData(postgres, rows: 200_000)
            let source = try await backupChecksums(postgres)
            let runner = BackupRunner(
                configuration: backupConfiguration(s3: s3, database: database),
                store: BackupStore(client: postgres, logger: TestRedis.logger),
                logger: TestRedis.logger
            )
            try await TestRedis.withQueue { queue in
                let first = try await queue.enqueue(try BackupJob.request(trigger: "test"))
                let second = try await queue.enqueue(try BackupJob.request(trigger: "test"))
                #expect(second.status == .duplicate)
                #expect(second.id == first.id)
                try await withWorker(queue: queue, registry: FleetJobs.registry(backups: { runner }), configuration: .testing()) { _ in
                    let info = try await Self.waitFor(queue, first.id)
                    #expect(info.state == "completed", "\(info.errors ?? "")")
                    #expect(info.progress?.contains("\"bytes\"") == true)
                    let outcome = try JSONCoding.decode(BackupRunner.Outcome.self, from: try #require(info.result))
                    #expect(outcome.parts >= 2)
                    #expect(outcome.key.hasPrefix("backups/\(database.database)/\(database.database)-"))
                    let client = S3Client(configuration: s3)
                    #expect(try await client.head(key: outcome.key).size == outcome.bytes)
                    let (_, sidecar) = try await client.get(key: outcome.key + ".sha256")
                    #expect(String(buffer: try await sidecar.collect(upTo: 4096)).hasPrefix(outcome.sha256))
                    #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
                    let records = try await BackupStore(client: postgres, logger: TestRedis.logger).list()
                    #expect(records.map(\.status) == [.succeeded])
                    #expect(records.first?.bytes == outcome.bytes)
                    #expect(records.first?.sha256 == outcome.sha256)
                    #expect(records.first?.jobID == first.id)
                    try await TestPostgres.server().withTemporaryDatabase(prefix: "restore", logger: TestRedis.logger) { target in
                        let restored = try await runner.restore(key: outcome.key, into: target)
                        #expect(restored.sha256 == outcome.sha256 && restored.verified)
                        let copy = try await TestPostgres.run(target) { try await backupChecksums($0) }
                        #expect(copy == source)
                        #expect(copy.first?.hasPrefix("200000:") == true)
                    }
                    // The same dump under a key with no recorded SHA-256: refused unless verify is off.
                    let (_, dump) = try await client.get(key: outcome.key)
                    let unverified = "backups/\(database.database)/copied-by-hand.dump"
                    try await client.putObject(key: unverified, bytes: Array(try await dump.collect(upTo: 64 << 20).readableBytesView))
                    try await TestPostgres.server().withTemporaryDatabase(prefix: "restore", logger: TestRedis.logger) { target in
                        await #expect {
                            _ = try await runner.restore(key: unverified, into: target)
                        } throws: { error in
                            (error as? BackupError)?.kind == .checksumMissing && "\(error)".contains("--no-verify")
                        }
                        let tables = try await TestPostgres.run(target) { client in
                            var n = 0
                            let rows = try await client.query(
                                "SELECT count(*)::int FROM pg_tables WHERE tablename = 'items'",
                                logger: TestRedis.logger
                            )
                            for try await count in rows.decode(Int.self) { n = count }
                            return n
                        }
                        #expect(tables == 0, "nothing was restored")
                        let forced = try await runner.restore(key: unverified, into: target, verify: false)
                        #expect(!forced.verified && forced.sha256 == outcome.sha256)
                    }
                }
            }
        }
    }

    @Test("pg_dump missing: the job fails at once with what to install or set")
    func pgDumpMissing() async throws {
        let s3 = try await TestS3.bucket()
        try await TestPostgres.withDatabase { postgres, database in
            let runner = BackupRunner(
                configuration: backupConfiguration(s3: s3, database: database, pgDump: "/nonexistent/pg_dump"),
                store: BackupStore(client: postgres, logger: TestRedis.logger),
                logger: TestRedis.logger
            )
            let info = try await runBackupJob(runner)
            #expect(info.state == "dead")
            #expect(info.attempt == 1)
            #expect(info.errors?.contains("PG_DUMP_PATH") == true)
            #expect(info.errors?.contains("postgresql-client") == true)
        }
    }

    @Test("pg_dump failing: a clear error with its message, the row failed, no parts left in S3")
    func pgDumpFails() async throws {
        let s3 = try await TestS3.bucket()
        try await TestPostgres.withDatabase { postgres, database in
            var missing = database
            missing.database = "no_such_database_\(Int.random(in: 1000...9999))"
            let store = BackupStore(client: postgres, logger: TestRedis.logger)
            let runner = BackupRunner(configuration: backupConfiguration(s3: s3, database: missing), store: store, logger: TestRedis.logger)
            await #expect {
                _ = try await runner.run(jobID: nil)
            } throws: { error in
                guard let error = error as? BackupError else { return false }
                return error.kind == .toolFailed && error.message.contains("does not exist") && error.message.contains("pg_dump")
            }
            let records = try await store.list()
            #expect(records.map(\.status) == [.failed])
            #expect(records.first?.error?.contains("does not exist") == true)
            #expect(try await S3Client(configuration: s3).listMultipartUploads(prefix: "").isEmpty)
            #expect(try await S3Client(configuration: s3).list(prefix: "").isEmpty)
        }
    }

    @Test("bad S3 credentials: a permanent failure naming the setting, no retries")
    func badCredentials() async throws {
        var wrong = try await TestS3.bucket()
        wrong.secretAccessKey = "not-the-secret"
        let s3 = wrong
        try await TestPostgres.withDatabase { postgres, database in
            let runner = BackupRunner(
                configuration: backupConfiguration(s3: s3, database: database),
                store: BackupStore(client: postgres, logger: TestRedis.logger),
                logger: TestRedis.logger
            )
            let info = try await runBackupJob(runner)
            #expect(info.state == "dead")
            #expect(info.attempt == 1)
            #expect(info.errors?.contains("SignatureDoesNotMatch") == true)
            #expect(info.errors?.contains("S3_SECRET_ACCESS_KEY") == true)
            var unknown = s3
            unknown.accessKeyID = "AKIAUNKNOWN"
            let other = BackupRunner(
                configuration: backupConfiguration(s3: unknown, database: database),
                store: BackupStore(client: postgres, logger: TestRedis.logger),
                logger: TestRedis.logger
            )
            await #expect {
                _ = try await other.run(jobID: nil)
            } throws: { error in
                (error as? BackupError).map { !$0.isRetryable && $0.message.contains("InvalidAccessKeyId") } ?? false
            }
        }
    }

    @Test("S3 unresponsive mid-upload: the attempt fails and aborts, the retry cleans up and completes; no parts orphaned")
    func s3DownMidUpload() async throws {
        let moto = try await PrivateMoto()
        let s3 = try S3Configuration(endpoint: moto.endpoint, bucket: "outage", accessKeyID: "test", secretAccessKey: "test", timeout: .seconds(2))
        try await S3Client(configuration: s3).createBucket()
        try await TestPostgres.withDatabase { postgres, database in
            try await seedBackupData(postgres, rows: 200_000)
            let store = BackupStore(client: postgres, logger: TestRedis.logger)
            let runner = BackupRunner(configuration: backupConfiguration(s3: s3, database: database), store: store, logger: TestRedis.logger)
            try await TestRedis.withQueue({ $0.retryBackoffBase = .milliseconds(500) }) { queue in
                let job = try await queue.enqueue(try BackupJob.request(trigger: "test"))
                try await withWorker(queue: queue, registry: FleetJobs.registry(backups: { runner }), configuration: .testing()) { _ in
                    // The first part is in S3: freeze S3.
                    #expect(await eventually(timeout: .seconds(60)) { try await store.list().first.map { $0.parts >= 1 } ?? false })
                    moto.pause()
                    // The attempt gives up (part retries, then the abort times out too) and says so.
                    #expect(await eventually(timeout: .seconds(60)) { try await store.list().first?.status == .failed })
                    moto.resume()
                    let info = try await Self.waitFor(queue, job.id)
                    #expect(info.state == "completed", "\(info.errors ?? "")")
                    #expect(info.attempt == 2)
                    #expect(info.errors?.contains("S3") == true)
                    let records = try await store.list()
                    #expect(records.map(\.status) == [.succeeded, .failed])
                    let client = S3Client(configuration: s3)
                    #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
                    #expect(try await client.list(prefix: "").filter { $0.key.hasSuffix(".dump") }.count == 1)
                }
            }
        }
    }

    @Test("a dump longer than the queue lease is never reclaimed from its live worker")
    func longDumpKeepsLease() async throws {
        let s3 = try await TestS3.bucket()
        let script = try temporaryScript("sleep 3\nexec pg_dump \"$@\"")
        defer { unlink(script) }
        try await TestPostgres.withDatabase { postgres, database in
            try await seedBackupData(postgres, rows: 1_000)
            let store = BackupStore(client: postgres, logger: TestRedis.logger)
            let runner = BackupRunner(
                configuration: backupConfiguration(s3: s3, database: database, pgDump: script),
                store: store,
                logger: TestRedis.logger
            )
            let info = try await runBackupJob(runner, lease: .milliseconds(800))
            #expect(info.state == "completed", "\(info.errors ?? "")")
            #expect(info.attempt == 1)
            #expect(try await store.list().count == 1)
        }
    }

    @Test("cancelling a backup kills pg_dump at once (it never writes), aborts the upload and marks the row failed")
    func cancelKillsPgDump() async throws {
        let s3 = try await TestS3.bucket()
        let pidFile = NSTemporaryDirectory() + "joycity-pgdump-\(UUID().uuidString.prefix(8)).pid"
        // A pg_dump that hangs without output: only a kill ends it before a minute.
        let hanging = try temporaryScript("echo $$ > '\(pidFile)'\nexec sleep 60")
        defer {
            unlink(hanging)
            unlink(pidFile)
        }
        try await TestPostgres.withDatabase { postgres, database in
            let store = BackupStore(client: postgres, logger: TestRedis.logger)
            let runner = BackupRunner(
                configuration: backupConfiguration(s3: s3, database: database, pgDump: hanging),
                store: store,
                logger: TestRedis.logger
            )
            let task = Task { try await runner.run(jobID: nil) }
            #expect(await eventually(timeout: .seconds(20)) { FileManager.default.fileExists(atPath: pidFile) })
            let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let child = try #require(pid_t(text))
            #expect(kill(child, 0) == 0, "pg_dump runs")
            let asked = ContinuousClock.now
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            #expect(ContinuousClock.now - asked < .seconds(10))
            #expect(kill(child, 0) == -1, "pg_dump was killed")
            let records = try await store.list()
            #expect(records.map(\.status) == [.failed] && records.first?.error == "cancelled", "\(records)")
            #expect(try await S3Client(configuration: s3).listMultipartUploads(prefix: "").isEmpty)
        }
    }

    @Test("two backups at once: the second is refused (a job defers), the first's live upload is never swept; it completes")
    func oneBackupAtATime() async throws {
        let s3 = try await TestS3.bucket()
        let slow = try temporaryScript("sleep 4\nexec pg_dump \"$@\"")
        defer { unlink(slow) }
        try await TestPostgres.withDatabase { postgres, database in
            try await seedBackupData(postgres, rows: 1_000)
            let store = BackupStore(client: postgres, logger: TestRedis.logger)
            let first = BackupRunner(
                configuration: backupConfiguration(s3: s3, database: database, pgDump: slow),
                store: store,
                logger: TestRedis.logger
            )
            let second = BackupRunner(configuration: backupConfiguration(s3: s3, database: database), store: store, logger: TestRedis.logger)
            let client = S3Client(configuration: s3)
            let running = Task { try await first.run(jobID: nil) }
            // The first has its multipart upload open and pg_dump not yet writing.
            #expect(await eventually(timeout: .seconds(20)) { try await !client.listMultipartUploads(prefix: "").isEmpty })
            let uploads = try await client.listMultipartUploads(prefix: "")
            await #expect {
                _ = try await second.run(jobID: nil)
            } throws: { error in
                guard let error = error as? BackupError else { return false }
                return error.kind == .busy && error.isRetryable && error.message.contains("another backup is running")
            }
            // A job defers without spending an attempt.
            try await TestRedis.withQueue { queue in
                let job = try await queue.enqueue(try BackupJob.request(trigger: "test"))
                try await withWorker(queue: queue, registry: FleetJobs.registry(backups: { second }), configuration: .testing()) { _ in
                    #expect(await eventually { try await queue.job(job.id)?.state == "retrying" })
                    let info = try await queue.job(job.id)
                    #expect(info?.attempt == 1)
                    #expect(info?.errors?.contains("another backup is running") == true)
                }
            }
            #expect(try await client.listMultipartUploads(prefix: "").map(\.uploadID) == uploads.map(\.uploadID))
            let outcome = try await running.value
            #expect(try await store.list().map(\.status) == [.succeeded])
            #expect(try await client.list(prefix: "").map(\.key).contains(outcome.key))
            #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
        }
    }

    @Test("retention keeps the newest N and everything younger than N days, deleting dump and checksum")
    func retention() async throws {
        let s3 = try await TestS3.bucket()
        try await TestPostgres.withDatabase { postgres, database in
            let client = S3Client(configuration: s3)
            let directory = "backups/\(database.database)/"
            let now = Date()
            var keys: [String] = []
            for daysAgo in [1, 5, 40, 60] {
                let key = "\(directory)\(database.database)-\(BackupRunner.stamp(now.addingTimeInterval(-Double(daysAgo) * 86_400))).dump"
                keys.append(key)
                try await client.putObject(key: key, bytes: Array("dump".utf8))
                try await client.putObject(key: key + ".sha256", bytes: Array("x".utf8))
            }
            try await client.putObject(key: "\(directory)unrelated.txt", bytes: [1])
            var configuration = backupConfiguration(s3: s3, database: database)
            configuration.keepLast = 1
            configuration.keepDays = 30
            let store = BackupStore(client: postgres, logger: TestRedis.logger)
            let deleted = try await BackupRunner(configuration: configuration, store: store, logger: TestRedis.logger).applyRetention(now: now)
            #expect(Set(deleted) == Set(keys[2...3]))
            let left = try await client.list(prefix: directory).map(\.key)
            #expect(Set(left) == Set([keys[0], keys[0] + ".sha256", keys[1], keys[1] + ".sha256", "\(directory)unrelated.txt"]))
            configuration.keepDays = 0
            let byCount = try await BackupRunner(configuration: configuration, store: store, logger: TestRedis.logger).applyRetention(now: now)
            #expect(byCount == [keys[1]])
        }
    }

    @Test("joycity backup run --here, list and restore from the command line")
    func cli() async throws {
        let s3 = try await TestS3.bucket()
        try await TestPostgres.withDatabase { postgres, database in
            try await seedBackupData(postgres, rows: 2_000)
            let source = try await backupChecksums(postgres)
            let environment = backupEnvironment(s3: s3, database: database)
            let run = try FleetProcess(["backup", "run", "--here", "--json"], environment: environment)
            #expect(await run.waitForExit(timeout: .seconds(60)) == 0, "\(run.output)")
            let list = try FleetProcess(["backup", "list", "--json"], environment: environment)
            #expect(await list.waitForExit(timeout: .seconds(30)) == 0)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let records = try decoder.decode([BackupRecord].self, from: Data(list.output.utf8))
            let key = try #require(records.first?.key)
            #expect(records.first?.status == .succeeded)
            try await TestPostgres.server().withTemporaryDatabase(prefix: "clirestore", logger: TestRedis.logger) { target in
                let restore = try FleetProcess(["backup", "restore", key, "--into", TestPostgres.url(target)], environment: environment)
                #expect(await restore.waitForExit(timeout: .seconds(60)) == 0, "\(restore.output)")
                #expect(restore.output.contains("sha256 verified"))
                #expect(try await TestPostgres.run(target) { try await backupChecksums($0) } == source)
            }
            let bad = try FleetProcess(
                ["backup", "restore", "backups/none/none-20200101T000000Z.dump", "--into", TestPostgres.url(database)],
                environment: environment
            )
            #expect(await bad.waitForExit(timeout: .seconds(30)) == 1)
            #expect(bad.output.contains("there is no backup"))
            let unconfigured = try FleetProcess(["backup", "run", "--here"], environment: environment.merging(["S3_BUCKET": ""]) { _, new in new })
            #expect(await unconfigured.waitForExit(timeout: .seconds(30)) == 78)
            #expect(unconfigured.output.contains("S3_BUCKET"))
        }
    }
}
