import Assignments
import FleetCore
import FleetStore
import Foundation
import Logging
import PostgresNIO
import Spreadsheet

/// `joycity bench assignments`: import a 50,000-row .xlsx written by openpyxl (dry run, apply, and the same file
/// again), against openpyxl's own `read_only` load of the same file as the baseline, measured in the same run.
/// Uses a database of its own on the server of `DATABASE_URL`, dropped afterwards; no Redis (no announcements).
struct AssignmentBenchmark {
    let rows: Int
    let managers: Int
    let rounds: Int
    let logger: Logger

    struct Report: Encodable {
        var rows: Int
        var managers: Int
        var fileBytes: Int
        /// openpyxl `load_workbook(read_only=True)` iterating every row's values (median of the rounds).
        var openpyxlSeconds: Double
        var openpyxlRowsPerSecond: Double
        /// Reading the sheet alone (our XLSX reader, every row).
        var readSeconds: Double
        var readRowsPerSecond: Double
        /// The whole dry run: read, resolve users and accounts, check every row against synced data and holders,
        /// and the rolled-back commit (median of the rounds).
        var dryRunSeconds: Double
        var dryRunRowsPerSecond: Double
        /// dryRunRowsPerSecond / openpyxlRowsPerSecond (target ≥ 2).
        var dryRunRatio: Double
        /// Applying into an empty month (target ≤ 5 s).
        var applySeconds: Double
        /// The same file again: nothing changes.
        var reapplySeconds: Double
        /// Peak resident memory of this process during the imports (target ≤ 100 MB).
        var peakRSSMB: Double
        /// What the process held just before (the runtime, the PostgreSQL client, the file).
        var startRSSMB: Double

        func printText() {
            print("bench assignments: \(rows) rows (\(managers) managers), .xlsx written by openpyxl, \(fileBytes) bytes")
            print(String(format: "  baseline openpyxl read_only load:   %8.0f rows/s  (%.2f s)", openpyxlRowsPerSecond, openpyxlSeconds))
            print(String(format: "  our reader, sheet only:             %8.0f rows/s  (%.2f s)", readRowsPerSecond, readSeconds))
            print(String(format: "  dry run (read + every check):       %8.0f rows/s  (%.2f s)", dryRunRowsPerSecond, dryRunSeconds))
            print(String(format: "  ratio, dry run to openpyxl: %.2f (target ≥ 2)", dryRunRatio))
            print(String(format: "  apply into an empty month: %.2f s (target ≤ 5 s); the same file again: %.2f s", applySeconds, reapplySeconds))
            print(String(format: "  peak RSS during the imports: %.1f MB (target ≤ 100 MB); %.1f MB before them", peakRSSMB, startRSSMB))
        }
    }

    func run() async throws -> Report {
        try await withBenchDatabase(logger: logger) { try await measure($0) }
    }

    func measure(_ postgres: PostgresClient) async throws -> Report {
        let month = AssignmentConfiguration().currentMonth()
        // One account, `managers` managers, `rows` distinct nmIds named by synced orders.
        let accountRows = try await postgres.query(
            "INSERT INTO seller_accounts (name, inn) VALUES ('Bench', '7700000000') RETURNING id",
            logger: logger
        )
        let account = try await accountRows.decode(Int64.self).first { _ in true }!
        try await postgres.query(
            """
            INSERT INTO users (login, name, password_hash, account_id)
            SELECT 'manager' || i, 'Manager ' || i, 'x', \(account) FROM generate_series(1, \(managers)) i
            """,
            logger: logger
        )
        try await postgres.query("INSERT INTO user_roles (user_id, role) SELECT id, 'MANAGER' FROM users", logger: logger)
        try await postgres.query(
            """
            INSERT INTO wb_orders (account_id, srid, last_change_date, order_date, nm_id, doc)
            SELECT \(account), 'b' || n, now() - interval '3 days', now() - interval '3 days', 100000000 + n, '{}'::jsonb
            FROM generate_series(1, \(rows)) n
            """,
            logger: logger
        )
        try await postgres.query("ANALYZE", logger: logger)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("joycity-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("assignments.xlsx").path
        _ = try Self.python(
            """
            import sys, openpyxl
            rows, managers, month, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet("Assignments")
            ws.append(["login", "account inn", "month", "nmId"])
            for n in range(1, rows + 1):
                ws.append([f"manager{(n - 1) % managers + 1}", "7700000000", month, 100000000 + n])
            wb.save(path)
            """,
            [String(rows), String(managers), month.description, file]
        )
        let data = try Data(contentsOf: URL(fileURLWithPath: file))

        var openpyxl: [Double] = []
        for _ in 0..<rounds {
            let output = try Self.python(
                """
                import sys, time, openpyxl
                start = time.perf_counter()
                wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
                count = 0
                for row in wb.worksheets[0].iter_rows(values_only=True):
                    count += 1
                print(time.perf_counter() - start, count)
                """,
                [file]
            )
            guard let seconds = output.split(separator: " ").first.flatMap({ Double($0) }) else {
                throw BenchmarkError("openpyxl printed \(output)")
            }
            openpyxl.append(seconds)
        }

        let configuration = AssignmentConfiguration(maxImportRows: max(rows, 100_000), maxImportBytes: max(data.count, 20 << 20))
        let store = AssignmentStore(client: postgres, configuration: configuration, events: nil, logger: logger)
        let importer = AssignmentImport(store: store)
        let context = ChangeContext(actorId: nil, actor: "cli:bench", source: .import)
        ProcessMemory.resetOwnPeak()
        let startRSS = ProcessMemory.residentMB(pid: getpid())
        var reads: [Double] = []
        var dryRuns: [Double] = []
        for _ in 0..<rounds {
            var count = 0
            let readStart = ContinuousClock.now
            try XLSXReader(data: data, limits: configuration.spreadsheetLimits).readRows { _ in count += 1 }
            reads.append((ContinuousClock.now - readStart).seconds)
            let start = ContinuousClock.now
            let report = try await importer.run(data, context: context, dryRun: true)
            dryRuns.append((ContinuousClock.now - start).seconds)
            guard report.problems.isEmpty, report.added == rows else {
                throw BenchmarkError(
                    "the dry run found \(report.problems.count) problem(s) and \(report.added) additions; first: \(report.problems.first?.message ?? "-")"
                )
            }
        }
        let applyStart = ContinuousClock.now
        let applied = try await importer.run(data, context: context, dryRun: false)
        let applySeconds = (ContinuousClock.now - applyStart).seconds
        guard applied.applied, applied.added == rows else { throw BenchmarkError("the apply added \(applied.added) of \(rows)") }
        let reapplyStart = ContinuousClock.now
        let again = try await importer.run(data, context: context, dryRun: false)
        let reapplySeconds = (ContinuousClock.now - reapplyStart).seconds
        guard again.added == 0, again.removed == 0 else {
            throw BenchmarkError("the same file again changed \(again.added + again.removed) article(s)")
        }
        let peak = ProcessMemory.peakRSSMB(pid: getpid())

        let baseline = Self.median(openpyxl)
        let dryRun = Self.median(dryRuns)
        let read = Self.median(reads)
        let dataRows = Double(rows + 1)
        return Report(
            rows: rows,
            managers: managers,
            fileBytes: data.count,
            openpyxlSeconds: baseline,
            openpyxlRowsPerSecond: dataRows / baseline,
            readSeconds: read,
            readRowsPerSecond: dataRows / read,
            dryRunSeconds: dryRun,
            dryRunRowsPerSecond: dataRows / dryRun,
            dryRunRatio: baseline / dryRun,
            applySeconds: applySeconds,
            reapplySeconds: reapplySeconds,
            peakRSSMB: peak,
            startRSSMB: startRSS
        )
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// Runs a Python script with openpyxl (`JOYCITY_TEST_PYTHON`, else `python3`, else the private virtualenv
    /// scripts/install-deps.sh makes).
    static func python(_ script: String, _ arguments: [String]) throws -> String {
        let venv = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/joycity/moto/bin/python").path
        let candidates = [ProcessInfo.processInfo.environment["JOYCITY_TEST_PYTHON"], venv, "python3"].compactMap { $0 }
        var last = ""
        for interpreter in candidates {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [interpreter, "-c", script] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            guard (try? process.run()) != nil else { continue }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            if process.terminationStatus == 0 { return text }
            last = text
        }
        throw BenchmarkError("openpyxl is needed for the baseline (scripts/install-deps.sh installs it): \(last)")
    }
}

/// A benchmark could not measure what it set out to.
/// Runs `body` on a migrated database of its own on the server of `DATABASE_URL`, dropped afterwards.
func withBenchDatabase<T: Sendable>(logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
    try await DatabaseConfiguration(environment: EnvironmentReader()).withTemporaryDatabase(prefix: "joycity_bench", logger: logger) { database in
        try await database.withClient(logger: logger) { postgres in
            try await Migrator(client: postgres, logger: logger).migrate()
            return try await body(postgres)
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
