import AsyncHTTPClient
import Crypto
import FleetCore
import FleetStore
import Foundation
import Logging
import NIOCore
import S3

/// Backs PostgreSQL up to S3 and restores from there: `pg_dump -Fc` streamed part by part into a multipart upload
/// (about one part in memory), a SHA-256 of the whole dump in a `.sha256` object beside it and in the `backups`
/// table, retention, and `pg_restore` of a verified download. The `backup.run` job, the CLI and the API call this.
public struct BackupRunner: Sendable {
    public let configuration: BackupConfiguration
    let s3: S3Client
    let store: BackupStore
    let logger: Logger

    /// Progress of a running backup.
    public struct Progress: Codable, Sendable, Equatable {
        /// `dumping` (uploading as pg_dump writes) or `finishing`.
        public var phase: String
        public var key: String
        /// Bytes uploaded so far.
        public var bytes: Int64
        /// Parts uploaded so far.
        public var parts: Int
    }

    /// What a finished backup produced.
    public struct Outcome: Codable, Sendable, Equatable {
        /// Row id in `backups`.
        public var id: Int64
        public var bucket: String
        public var key: String
        public var bytes: Int64
        public var parts: Int
        public var sha256: String
        public var durationSeconds: Double
        /// Objects retention deleted afterwards.
        public var deleted: [String]
    }

    /// Creates a runner.
    public init(configuration: BackupConfiguration, store: BackupStore, logger: Logger) {
        self.configuration = configuration
        self.s3 = S3Client(configuration: configuration.s3)
        self.store = store
        self.logger = logger
    }

    /// The directory of one database's backups.
    var directory: String { "\(configuration.prefix)\(configuration.database.database)/" }

    func key(at date: Date) -> String {
        "\(directory)\(configuration.database.database)-\(Self.stamp(date)).dump"
    }

    /// `YYYYMMDDTHHMMSSZ` (UTC) of `date`, as backup keys carry it.
    public static func stamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ",
            Int(parts.tm_year) + 1900,
            Int(parts.tm_mon) + 1,
            Int(parts.tm_mday),
            Int(parts.tm_hour),
            Int(parts.tm_min),
            Int(parts.tm_sec)
        )
    }

    static func parseStamp(_ key: String) -> Date? {
        guard let dash = key.lastIndex(of: "-") else { return nil }
        let stamp = key[key.index(after: dash)...].prefix(16)
        guard stamp.count == 16 else { return nil }
        let digits = stamp.filter(\.isNumber)
        guard digits.count == 14 else { return nil }
        let value = Array(digits).map { Int(String($0))! }
        func number(_ range: Range<Int>) -> Int { value[range].reduce(0) { $0 * 10 + $1 } }
        var parts = tm()
        parts.tm_year = Int32(number(0..<4) - 1900)
        parts.tm_mon = Int32(number(4..<6) - 1)
        parts.tm_mday = Int32(number(6..<8))
        parts.tm_hour = Int32(number(8..<10))
        parts.tm_min = Int32(number(10..<12))
        parts.tm_sec = Int32(number(12..<14))
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// Environment for the PostgreSQL tools: connection through `PG*` variables, so no password is on a command line.
    static func toolEnvironment(_ database: DatabaseConfiguration) -> [String: String] {
        var environment = ["PGHOST": database.host, "PGPORT": String(database.port), "PGUSER": database.username, "PGDATABASE": database.database]
        if let password = database.password { environment["PGPASSWORD"] = password }
        return environment
    }

    func tool(_ configured: String, variable: String) throws -> String {
        guard let path = ChildProcess.resolve(configured) else {
            throw BackupError(
                .toolMissing,
                "\(configured) was not found\(configured.contains("/") ? "" : " on PATH"); install the PostgreSQL client (apt-get install postgresql-client) or set \(variable)",
                retryable: false
            )
        }
        return path
    }

    // MARK: Backup

    /// Dumps the database into a new object. On failure the multipart upload is aborted (no parts left behind),
    /// the row is marked failed, and the error says whether a retry can help.
    /// - Parameters:
    ///   - jobID: the `backup.run` job, recorded with the backup.
    ///   - progress: called after every part.
    /// - Throws: ``BackupError`` (`busy` when another backup holds the backup lock: one runs at a time).
    public func run(jobID: String?, progress: @Sendable (Progress) async -> Void = { _ in }) async throws -> Outcome {
        let pgDump = try tool(configuration.pgDump, variable: "PG_DUMP_PATH")
        if let outcome = try await store.whileHoldingLock({ try await dump(jobID: jobID, pgDump: pgDump, progress: progress) }) {
            return outcome
        }
        let other = try? await store.runningBackup()
        let holder =
            other.map { " (backup \($0.id)\($0.jobID.map { ", job \($0)" } ?? ""), started \(ISO8601DateFormatter().string(from: $0.startedAt)))" }
            ?? ""
        throw BackupError(.busy, "another backup is running\(holder); one runs at a time, so start this one when it has finished", retryable: true)
    }

    /// The backup itself, run while holding the backup lock: orphans of earlier attempts are swept first (none of
    /// them can be live), then `pg_dump` streams into a new multipart upload.
    private func dump(jobID: String?, pgDump: String, progress: @Sendable (Progress) async -> Void) async throws -> Outcome {
        let started = Date()
        try await abortOrphanedUploads()
        let key = key(at: started)
        let database = configuration.database.database
        let id = try await store.start(jobID: jobID, bucket: configuration.s3.bucket, key: key, database: database)
        var uploadID: String?
        var process: ChildProcess?
        do {
            let upload = try await s3Step("starting the upload of \(key)") {
                try await s3.createMultipartUpload(key: key, metadata: ["database": database])
            }
            uploadID = upload
            try await store.setUpload(id: id, uploadID: upload)
            let child: ChildProcess
            do {
                child = try ChildProcess(
                    executable: pgDump,
                    arguments: ["--format=custom", "--no-password"],
                    environment: Self.toolEnvironment(configuration.database)
                )
            } catch {
                throw BackupError(.toolFailed, "could not start \(pgDump): \(error)", retryable: false)
            }
            process = child
            var hasher = SHA256()
            var parts: [(number: Int, etag: String)] = []
            var bytes: Int64 = 0
            while true {
                try Task.checkCancellation()
                let chunk = try await child.read(upTo: configuration.partSize)
                if chunk.isEmpty && !parts.isEmpty { break }
                let status: Int32? = chunk.isEmpty ? try await child.wait() : nil
                if let status {
                    process = nil
                    throw dumpFailure(status: status, stderr: child.stderr)
                }
                hasher.update(data: chunk)
                let number = parts.count + 1
                let etag = try await s3Step("uploading part \(number) of \(key)") {
                    try await s3.uploadPart(key: key, uploadID: upload, number: number, bytes: chunk)
                }
                parts.append((number, etag))
                bytes += Int64(chunk.count)
                try? await store.progress(id: id, bytes: bytes, parts: parts.count)
                await progress(Progress(phase: "dumping", key: key, bytes: bytes, parts: parts.count))
                if chunk.count < configuration.partSize { break }
            }
            let status = try await child.wait()
            process = nil
            guard status == 0 else { throw dumpFailure(status: status, stderr: child.stderr) }
            await progress(Progress(phase: "finishing", key: key, bytes: bytes, parts: parts.count))
            try await s3Step("completing the upload of \(key)") {
                try await s3.completeMultipartUpload(key: key, uploadID: upload, parts: parts)
            }
            uploadID = nil
            let sha256 = Hex.lowercase(hasher.finalize())
            try await s3Step("writing the checksum of \(key)") {
                try await s3.putObject(
                    key: key + ".sha256",
                    bytes: Array("\(sha256)  \(key.split(separator: "/").last ?? "")\n".utf8),
                    contentType: "text/plain"
                )
            }
            // The row's final state is retried: a blip here must not leave it `running` beside a complete dump.
            try await Self.rowWrites.retrying(5) { try await store.succeed(id: id, bytes: bytes, parts: parts.count, sha256: sha256) }
            logger.info("backup uploaded", metadata: ["key": "\(key)", "bytes": "\(bytes)", "parts": "\(parts.count)"])
            var deleted: [String] = []
            do {
                deleted = try await applyRetention(now: Date())
            } catch {
                logger.warning("backup retention failed; old backups stay until the next run", metadata: ["error": "\(error)"])
            }
            return Outcome(
                id: id,
                bucket: configuration.s3.bucket,
                key: key,
                bytes: bytes,
                parts: parts.count,
                sha256: sha256,
                durationSeconds: Date().timeIntervalSince(started),
                deleted: deleted
            )
        } catch {
            // The clean-up runs in a task of its own: when this one was cancelled (a cancel, a lost lease, the
            // shutdown deadline) its own S3 and PostgreSQL calls would end at once, leaving pg_dump unreaped, the
            // upload open and the row `running`.
            let (child, open) = (process, uploadID)
            await Task { await cleanUp(after: error, id: id, key: key, process: child, uploadID: open) }.value
            throw error
        }
    }

    /// After a failed or cancelled backup: stops and reaps `pg_dump`, aborts the multipart upload (the next backup
    /// aborts it if S3 refuses now) and records the failure on the row (retried).
    private func cleanUp(after error: any Error, id: Int64, key: String, process: ChildProcess?, uploadID: String?) async {
        if let process {
            process.kill()
            _ = try? await process.wait()
        }
        var aborted = uploadID == nil
        if let uploadID {
            do {
                try await s3.abortMultipartUpload(key: key, uploadID: uploadID)
                aborted = true
            } catch {
                logger.warning("could not abort the multipart upload; the next backup aborts it", metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
        let message = (error as? BackupError)?.message ?? (error is CancellationError ? "cancelled" : "\(error)")
        do {
            try await Self.rowWrites.retrying(5) { try await store.fail(id: id, error: message, uploadAborted: aborted) }
        } catch let rowError {
            logger.error(
                "could not record the failed backup; its row stays running until the next backup's sweep",
                metadata: ["backup.id": "\(id)", "error": "\(rowError)"]
            )
        }
    }

    /// How a failed S3 request is retried: 500 ms doubling to 4 s.
    static let s3Retries = Backoff(base: .milliseconds(500), cap: .seconds(4))

    /// How the row's final write is retried: 200 ms doubling to 2 s.
    static let rowWrites = Backoff(base: .milliseconds(200), cap: .seconds(2))

    func dumpFailure(status: Int32, stderr: String) -> BackupError {
        let detail = stderr.isEmpty ? "no message" : String(stderr.suffix(2000))
        // A server that is down or restarting is worth another try; other failures (permissions, versions) are not
        // fixed by waiting, but a few retries cost little, so only a missing tool is permanent.
        return BackupError(.toolFailed, "pg_dump of \(configuration.database.displayName) failed (exit \(status)): \(detail)", retryable: true)
    }

    func s3Step<T: Sendable>(_ doing: String, attempts: Int = 3, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as S3Error {
                guard error.isRetryable, attempt < attempts else { throw BackupError(error, while: doing) }
                logger.info("S3 request failed; retrying", metadata: ["step": "\(doing)", "attempt": "\(attempt)", "error": "\(error)"])
                try await Task.sleep(for: Self.s3Retries.delay(afterFailures: attempt))
                attempt += 1
            }
        }
    }

    /// Aborts multipart uploads that failed backups left behind: those recorded in the table and any other
    /// unfinished upload under this database's prefix. Runs only under the backup lock, so none of them is live.
    func abortOrphanedUploads() async throws {
        for orphan in try await store.orphanedUploads(except: nil) {
            try await s3Step("aborting the unfinished upload of \(orphan.key)") {
                try await s3.abortMultipartUpload(key: orphan.key, uploadID: orphan.uploadID)
            }
            try await store.setUpload(id: orphan.id, uploadID: nil)
            logger.info("aborted an unfinished multipart upload of an earlier backup", metadata: ["key": "\(orphan.key)"])
        }
        let stray = try await s3Step("listing unfinished uploads") { try await s3.listMultipartUploads(prefix: directory) }
        for upload in stray {
            try await s3Step("aborting the unfinished upload of \(upload.key)") {
                try await s3.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            }
            logger.info("aborted a stray multipart upload", metadata: ["key": "\(upload.key)"])
        }
    }

    // MARK: Retention

    /// Deletes backups outside both rules: not among the newest `BACKUP_KEEP_LAST` and older than
    /// `BACKUP_KEEP_DAYS` (a rule set to 0 keeps nothing by itself; both 0 keeps everything).
    /// - Returns: the deleted keys.
    public func applyRetention(now: Date) async throws -> [String] {
        guard configuration.keepLast > 0 || configuration.keepDays > 0 else { return [] }
        let objects = try await listDumps().map { (object: $0, date: Self.parseStamp($0.key) ?? .distantPast) }
        var deleted: [String] = []
        for (index, entry) in objects.enumerated() {
            let keptByCount = configuration.keepLast > 0 && index < configuration.keepLast
            let keptByAge = configuration.keepDays > 0 && now.timeIntervalSince(entry.date) < Double(configuration.keepDays) * 86_400
            guard !keptByCount && !keptByAge else { continue }
            try await s3Step("deleting \(entry.object.key)") { try await s3.delete(key: entry.object.key) }
            try await s3Step("deleting \(entry.object.key).sha256") { try await s3.delete(key: entry.object.key + ".sha256") }
            try await store.markDeleted(bucket: configuration.s3.bucket, key: entry.object.key)
            deleted.append(entry.object.key)
            logger.info("retention deleted a backup", metadata: ["key": "\(entry.object.key)"])
        }
        return deleted
    }

    // MARK: Listing and restore

    /// The dumps in the bucket under this database's prefix, newest first (by the time in their key).
    public func listDumps() async throws -> [S3Client.Object] {
        try await s3Step("listing backups") { try await s3.list(prefix: directory) }
            .filter { $0.key.hasSuffix(".dump") }
            .sorted { (Self.parseStamp($0.key) ?? .distantPast) > (Self.parseStamp($1.key) ?? .distantPast) }
    }

    /// What a restore did.
    public struct RestoreOutcome: Codable, Sendable, Equatable {
        public var key: String
        public var bytes: Int64
        public var sha256: String
        public var database: String
        /// Whether the download matched a recorded SHA-256 (false only with `verify: false` and none recorded).
        public var verified: Bool
    }

    /// Downloads `key` to a temporary file (streamed), verifies its SHA-256 against the `.sha256` object (or the
    /// table), then runs `pg_restore --no-owner --exit-on-error -j 2` into `target`, which should be an empty database.
    /// - Parameter verify: refuse a backup with no recorded SHA-256 (`joycity backup restore --no-verify` says false:
    ///   then such a backup is restored unverified, and the outcome says so).
    /// - Throws: ``BackupError`` `checksumMissing` for a backup with no recorded SHA-256 (unless `verify` is false),
    ///   `checksumMismatch` for a download that differs from it.
    public func restore(key: String, into target: DatabaseConfiguration, verify: Bool = true) async throws -> RestoreOutcome {
        guard key.hasSuffix(".dump"), !key.contains("..") else {
            throw BackupError(.invalidInput, "\(key) is not a backup key (they end in .dump; joycity backup list)", retryable: false)
        }
        let pgRestore = try tool(configuration.pgRestore, variable: "PG_RESTORE_PATH")
        try await s3Step("looking up \(key)") {
            do {
                _ = try await s3.head(key: key)
            } catch let error as S3Error where error.kind == .notFound {
                throw BackupError(.notFound, "there is no backup \(key) in bucket \(configuration.s3.bucket) (joycity backup list)", retryable: false)
            }
        }
        let expected = try await expectedChecksum(key: key)
        if expected == nil, verify {
            throw BackupError(
                .checksumMissing,
                "\(key) has no recorded SHA-256 (no \(key).sha256 object and no row in backups), so it cannot be verified; not restoring. Pass --no-verify to restore it unverified",
                retryable: false
            )
        }
        let path = NSTemporaryDirectory() + "joycity-restore-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).dump"
        defer { unlink(path) }
        guard let file = fopen(path, "w") else {
            throw BackupError(.invalidInput, "could not create \(path): \(String(cString: strerror(errno)))", retryable: false)
        }
        var hasher = SHA256()
        var bytes: Int64 = 0
        do {
            defer { fclose(file) }
            let (_, body) = try await s3Step("downloading \(key)") {
                do {
                    return try await s3.get(key: key)
                } catch let error as S3Error where error.kind == .notFound {
                    throw BackupError(
                        .notFound,
                        "there is no backup \(key) in bucket \(configuration.s3.bucket) (joycity backup list)",
                        retryable: false
                    )
                }
            }
            for try await buffer in body {
                let chunk = Array(buffer.readableBytesView)
                hasher.update(data: chunk)
                bytes += Int64(chunk.count)
                guard fwrite(chunk, 1, chunk.count, file) == chunk.count else {
                    throw BackupError(.invalidInput, "could not write \(path): \(String(cString: strerror(errno)))", retryable: false)
                }
            }
        }
        let actual = Hex.lowercase(hasher.finalize())
        if let expected, expected != actual {
            throw BackupError(
                .checksumMismatch,
                "the download of \(key) has SHA-256 \(actual) but the backup recorded \(expected); not restoring",
                retryable: false
            )
        }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: pgRestore,
                arguments: ["--no-owner", "--no-privileges", "--exit-on-error", "--jobs=2", "--no-password", "--dbname=\(target.database)", path],
                environment: Self.toolEnvironment(target)
            )
        } catch {
            throw BackupError(.toolFailed, "could not start \(pgRestore): \(error)", retryable: false)
        }
        let status = try await child.wait()
        guard status == 0 else {
            throw BackupError(
                .toolFailed,
                "pg_restore into \(target.displayName) failed (exit \(status)): \(child.stderr.suffix(2000))",
                retryable: false
            )
        }
        return RestoreOutcome(key: key, bytes: bytes, sha256: actual, database: target.displayName, verified: expected != nil)
    }

    func expectedChecksum(key: String) async throws -> String? {
        do {
            let (_, body) = try await s3.get(key: key + ".sha256")
            let text = String(buffer: try await body.collect(upTo: 4096))
            return text.split(separator: " ").first.map(String.init)
        } catch let error as S3Error where error.kind == .notFound {
            return try await store.record(key: key)?.sha256
        } catch let error as S3Error {
            throw BackupError(error, while: "reading the checksum of \(key)")
        }
    }
}
