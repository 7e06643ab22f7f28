import ArgumentParser
import FleetCore
import FleetStore
import Foundation
import JobCatalog
import Logging
import Queue
import Workers

/// `joycity backup …`: PostgreSQL backups in S3.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back PostgreSQL up to S3, list backups, restore one.",
        subcommands: [BackupRun.self, BackupList.self, BackupRestore.self]
    )
}

/// Runs `body` with the backups table (migrations applied), turning failures into a message and an exit code.
func withBackups(_ body: @Sendable (BackupStore, EnvironmentReader, Logger) async throws -> Void) async {
    do {
        let environment = EnvironmentReader()
        let logger = Runtime.cliLogger("joycity.backup")
        try await Runtime.withDatabase(environment: environment, logger: logger) { client in
            try await Migrator(client: client, logger: logger).migrate()
            try await body(BackupStore(client: client, logger: logger), environment, logger)
        }
    } catch {
        Runtime.fail(error)
    }
}

struct BackupRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Queue a backup (backup.run; a second request while one is queued or running returns that one).",
        discussion: "With --here the backup runs in this process instead (no worker needed)."
    )
    @Flag(help: "Wait for the queued backup to finish, printing progress.") var wait = false
    @Flag(help: "Run the backup in this process instead of queueing it.") var here = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (wait, here, json) = (self.wait, self.here, self.json)
        await withBackups { store, environment, logger in
            if here {
                let runner = BackupRunner(configuration: try BackupConfiguration(environment: environment), store: store, logger: logger)
                let outcome = try await runner.run(jobID: nil) { progress in
                    if !json {
                        FileHandle.standardError.write(Data("\r\(progress.phase): \(progress.parts) parts, \(Format.bytes(progress.bytes))   ".utf8))
                    }
                }
                if json { return try printJSON(outcome) }
                print(
                    "\nbacked up to s3://\(outcome.bucket)/\(outcome.key): \(Format.bytes(outcome.bytes)) in \(String(format: "%.1f", outcome.durationSeconds)) s, sha256 \(outcome.sha256)"
                )
                if !outcome.deleted.isEmpty { print("retention deleted: \(outcome.deleted.joined(separator: ", "))") }
                return
            }
            let redis = try Runtime.redis(environment: environment, logger: logger, name: "joycity-cli")
            let queue = StreamQueue(redis: redis, configuration: try .init(environment: environment))
            defer { Task { await redis.shutdown() } }
            let result = try await queue.enqueue(try BackupJob.request(trigger: "cli"))
            if !wait {
                if json { return try printJSON(["id": result.id, "status": result.status.rawValue]) }
                return print(
                    result.status == .duplicate
                        ? "a backup is already queued or running: \(result.id)" : "queued backup \(result.id) (joycity queue job \(result.id))"
                )
            }
            while true {
                guard let info = try await queue.job(result.id) else { throw QueueError(.notFound, "backup job \(result.id) vanished") }
                if !json, let progress = info.progress { FileHandle.standardError.write(Data("\r\(info.state): \(progress)   ".utf8)) }
                if ["completed", "dead", "cancelled"].contains(info.state) {
                    if json { return try printJSON(info) }
                    print("\nbackup \(info.state): \(info.result ?? info.errors ?? "")")
                    if info.state != "completed" { throw ExitCode(1) }
                    return
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}

struct BackupList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Recent backups with status, size, duration and key.")
    @Option(help: "How many.") var limit = 20
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (limit, json) = (self.limit, self.json)
        await withBackups { store, _, _ in
            let records = try await store.list(limit: limit)
            if json { return try printJSON(records) }
            if records.isEmpty { return print("no backups yet (joycity backup run)") }
            var rows = [["ID", "STATUS", "STARTED", "SIZE", "TOOK", "KEY", "ERROR"]]
            for r in records {
                rows.append([
                    String(r.id), r.status.rawValue, Format.timestamp(Int64(r.startedAt.timeIntervalSince1970 * 1000)), Format.bytes(r.bytes),
                    r.durationSeconds.map { Format.duration(ms: Int64($0 * 1000)) } ?? "-", r.key, String((r.error ?? "").prefix(80)),
                ])
            }
            Format.printTable(rows)
        }
    }
}

struct BackupRestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Download a backup, verify its SHA-256, and pg_restore it into an (empty) database."
    )
    @Argument(help: "The backup's key (joycity backup list).") var key: String
    @Option(help: "postgres:// URL of the database to restore into; it must exist and should be empty.") var into: String
    @Flag(help: "Restore a backup that has no recorded SHA-256 without verifying it.") var noVerify = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (key, into, json, verify) = (self.key, self.into, self.json, !self.noVerify)
        await withBackups { store, environment, logger in
            let target = try DatabaseConfiguration(url: into, variable: "--into")
            let runner = BackupRunner(configuration: try BackupConfiguration(environment: environment), store: store, logger: logger)
            let outcome = try await runner.restore(key: key, into: target, verify: verify)
            if json { return try printJSON(outcome) }
            let check = outcome.verified ? "sha256 verified" : "NOT verified: no SHA-256 was recorded (--no-verify)"
            print("restored \(outcome.key) (\(Format.bytes(outcome.bytes)), \(check)) into \(outcome.database)")
        }
    }
}
