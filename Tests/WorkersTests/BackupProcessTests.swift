import FleetCore
import FleetStore
import FleetTesting
import Foundation
import PostgresNIO
import Queue
import S3
import Testing
import Workers

#if canImport(Glibc)
import Glibc
#endif

/// `backup.run` in real `joycity worker` processes: a worker killed mid-backup, `joycity backup run --wait`.
@Suite("Backups in worker processes", .serialized)
struct BackupProcessTests {
    @Test("a worker SIGKILLed mid-upload: another finishes the backup, the dead attempt's upload is aborted")
    func killedMidBackup() async throws {
        let s3 = try await TestS3.bucket()
        // A pg_dump that writes its first part quickly and then crawls, so the kill lands mid-upload.
        let script = try temporaryScript("pg_dump \"$@\" | { dd bs=1048576 count=6 iflag=fullblock 2>/dev/null; sleep 4; cat; }")
        defer { unlink(script) }
        try await TestPostgres.withDatabase { postgres, database in
            try await seedBackupData(postgres, rows: 120_000)
            let source = try await backupChecksums(postgres)
            let store = BackupStore(client: postgres, logger: TestRedis.logger)
            try await TestRedis.withQueue { queue in
                var environment = backupEnvironment(s3: s3, database: database)
                environment.merge([
                    "QUEUE_PREFIX": queue.configuration.prefix, "QUEUE_LEASE": "2s", "QUEUE_RECLAIM_INTERVAL": "500ms", "METRICS_PORT": "0",
                    "PG_DUMP_PATH": script,
                ]) { _, new in new }
                let first = try FleetProcess(["worker"], name: "backup-a", environment: environment)
                let enqueue = try FleetProcess(["backup", "run", "--json"], environment: environment)
                #expect(await enqueue.waitForExit(timeout: .seconds(30)) == 0, "\(enqueue.output)")
                #expect(
                    await eventually(timeout: .seconds(60)) { try await store.list().first.map { $0.parts >= 1 } ?? false },
                    "\(first.output.suffix(2000))"
                )
                first.send(SIGKILL)
                _ = await first.waitForExit(timeout: .seconds(10))
                // A second request while the first is still queued or running returns it.
                let again = try FleetProcess(["backup", "run"], environment: environment)
                #expect(await again.waitForExit(timeout: .seconds(30)) == 0)
                #expect(again.output.contains("already queued or running"))
                // The next worker reclaims it after the lease; `backup run --wait` returns when it is done.
                let second = try FleetProcess(["worker"], name: "backup-b", environment: environment)
                let waiting = try FleetProcess(["backup", "run", "--wait"], environment: environment)
                #expect(await waiting.waitForExit(timeout: .seconds(120)) == 0, "\(waiting.output.suffix(2000))\n\(second.output.suffix(2000))")
                #expect(waiting.output.contains("backup completed"))
                second.send(SIGTERM)
                _ = await second.waitForExit(timeout: .seconds(30))

                let records = try await store.list()
                #expect(records.map(\.status) == [.succeeded, .failed])
                #expect(records.last?.error?.contains("interrupted") == true)
                let client = S3Client(configuration: s3)
                #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
                let dumps = try await client.list(prefix: "").filter { $0.key.hasSuffix(".dump") }
                #expect(dumps.map(\.key) == [records[0].key])
                try await TestPostgres.server().withTemporaryDatabase(prefix: "killrestore", logger: TestRedis.logger) { target in
                    let runner = BackupRunner(configuration: backupConfiguration(s3: s3, database: database), store: store, logger: TestRedis.logger)
                    _ = try await runner.restore(key: records[0].key, into: target)
                    #expect(try await TestPostgres.run(target) { try await backupChecksums($0) } == source)
                }
            }
        }
    }
}
