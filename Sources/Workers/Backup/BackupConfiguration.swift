import FleetCore
import FleetStore
import Foundation
import S3

/// Backup settings from the environment.
///
/// | Variable | Default | Meaning |
/// |---|---|---|
/// | `S3_*` | — | The bucket (see ``S3Configuration``) |
/// | `BACKUP_PREFIX` | `backups/` | Key prefix; objects are `<prefix><db>/<db>-<UTC time>.dump` (+ `.sha256`) |
/// | `BACKUP_PART_SIZE` | `16MiB` | Multipart part size (5 MiB … 512 MiB); memory use is about one part |
/// | `BACKUP_KEEP_LAST` | `14` | Keep at least the newest N backups (0: no count rule) |
/// | `BACKUP_KEEP_DAYS` | `30` | Keep every backup younger than N days (0: no age rule) |
/// | `BACKUP_DATABASE_URL` | `DATABASE_URL` | The database to dump |
/// | `PG_DUMP_PATH`, `PG_RESTORE_PATH` | `pg_dump`, `pg_restore` on `PATH` | The PostgreSQL client tools |
public struct BackupConfiguration: Sendable {
    public var s3: S3Configuration
    public var prefix: String
    public var partSize: Int
    public var keepLast: Int
    public var keepDays: Int
    /// The database to dump.
    public var database: DatabaseConfiguration
    public var pgDump: String
    public var pgRestore: String

    /// Creates a configuration.
    public init(
        s3: S3Configuration,
        prefix: String = "backups/",
        partSize: Int = 16 << 20,
        keepLast: Int = 14,
        keepDays: Int = 30,
        database: DatabaseConfiguration,
        pgDump: String = "pg_dump",
        pgRestore: String = "pg_restore"
    ) {
        self.s3 = s3
        self.prefix = prefix
        self.partSize = partSize
        self.keepLast = keepLast
        self.keepDays = keepDays
        self.database = database
        self.pgDump = pgDump
        self.pgRestore = pgRestore
    }

    /// Reads the variables above.
    /// - Throws: ``ConfigurationError`` naming a missing or unusable variable.
    public init(environment: EnvironmentReader) throws {
        let s3 = try S3Configuration(environment: environment)
        var prefix = environment.string("BACKUP_PREFIX", default: "backups/")
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        let partText = environment.string("BACKUP_PART_SIZE", default: "16MiB")
        guard let partSize = Self.parseSize(partText), partSize >= 5 << 20, partSize <= 512 << 20 else {
            throw ConfigurationError(
                variable: "BACKUP_PART_SIZE",
                value: partText,
                expected: "a size from 5MiB to 512MiB (S3's minimum part is 5 MiB)"
            )
        }
        let database: DatabaseConfiguration
        if let url = environment.string("BACKUP_DATABASE_URL") {
            database = try DatabaseConfiguration(url: url, variable: "BACKUP_DATABASE_URL")
        } else {
            database = try DatabaseConfiguration(environment: environment)
        }
        self.init(
            s3: s3,
            prefix: prefix,
            partSize: partSize,
            keepLast: try environment.int("BACKUP_KEEP_LAST", default: 14, range: 0...100_000),
            keepDays: try environment.int("BACKUP_KEEP_DAYS", default: 30, range: 0...100_000),
            database: database,
            pgDump: environment.string("PG_DUMP_PATH", default: "pg_dump"),
            pgRestore: environment.string("PG_RESTORE_PATH", default: "pg_restore")
        )
    }

    /// `16MiB`, `5MB` (read as MiB), `8388608`.
    static func parseSize(_ text: String) -> Int? {
        let lowered = text.lowercased().replacingOccurrences(of: " ", with: "")
        let digits = lowered.prefix { $0.isNumber }
        guard let number = Int(digits) else { return nil }
        switch lowered.dropFirst(digits.count) {
        case "": return number
        case "k", "kb", "kib": return number << 10
        case "m", "mb", "mib": return number << 20
        case "g", "gb", "gib": return number << 30
        default: return nil
        }
    }
}
