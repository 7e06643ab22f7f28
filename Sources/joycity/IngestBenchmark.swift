import FakeWB
import FleetCore
import FleetStore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Queue
import WBKit
import Workers

/// `joycity bench ingest`: report-detail rows from the fake WB into PostgreSQL through the real sync path (HTTP,
/// fleet limiter in Redis, page upsert + cursor statement), against a baseline COPY of the same rows (same JSON,
/// same key columns) into a scratch table with the same primary key. Uses a database of its own on the server of
/// `DATABASE_URL`, dropped afterwards.
struct IngestBenchmark {
    let rows: Int
    /// Rounds of sync + COPY; the report gives the median round by ratio.
    let rounds: Int
    let logger: Logger

    struct Round {
        var syncSeconds: Double
        var copySeconds: Double
        var ratio: Double { copySeconds / syncSeconds }
    }

    struct RoundFigures: Encodable {
        var syncRowsPerSecond: Double
        var copyRowsPerSecond: Double
        var ratio: Double
    }

    struct Report: Encodable {
        var rows: Int
        var pages: Int
        var pageRows: Int
        var bytesPerRow: Int
        var generateSeconds: Double
        var syncSeconds: Double
        var syncRowsPerSecond: Double
        var copySeconds: Double
        var copyRowsPerSecond: Double
        /// The median round's: sync, COPY and their ratio above come from the same round.
        var ratio: Double
        var rounds: [RoundFigures]
        /// One 100k-row page on its own: fetching it (fake + HTTP) and storing it (the statement).
        var fetchPageSeconds: Double
        var storePageSeconds: Double
        var pageRowsMeasured: Int

        func printText() {
            print("bench ingest: \(rows) report-detail rows (≈\(bytesPerRow) B of JSON each), pages of \(pageRows)")
            for (index, round) in rounds.enumerated() {
                print(
                    String(
                        format: "  round %d: sync %8.0f rows/s, COPY %8.0f rows/s, ratio %.2f",
                        index + 1,
                        round.syncRowsPerSecond,
                        round.copyRowsPerSecond,
                        round.ratio
                    )
                )
            }
            print("  median round (by ratio) of \(rounds.count):")
            print(
                String(
                    format: "  sync path (fake WB → HTTP → upsert+cursor): %8.0f rows/s  (%.2f s, %d pages)",
                    syncRowsPerSecond,
                    syncSeconds,
                    pages
                )
            )
            print(String(format: "  baseline COPY of the same rows:             %8.0f rows/s  (%.2f s)", copyRowsPerSecond, copySeconds))
            print(String(format: "  ratio: %.2f of COPY", ratio))
            print(
                String(
                    format: "  one page of %d rows on its own: fetch (fake + HTTP) %.2f s, store (statement) %.2f s",
                    pageRowsMeasured,
                    fetchPageSeconds,
                    storePageSeconds
                )
            )
        }
    }

    func run() async throws -> Report {
        let environment = EnvironmentReader()
        return try await DatabaseConfiguration(environment: environment).withTemporaryDatabase(prefix: "joycity_bench", logger: logger) { database in
            try await measure(database: database, environment: environment)
        }
    }

    func measure(database: DatabaseConfiguration, environment: EnvironmentReader) async throws -> Report {
        // The fake: one seller, 30 days, about `rows` report rows (≈1.2 rows per order), no limits, pages of 100k.
        let generated = ContinuousClock.now
        var configuration = FakeWBConfiguration()
        configuration.port = 0
        configuration.accounts = 1
        configuration.days = 30
        configuration.ordersPerDay = max(1, Int((Double(rows) / (1.2 * 28)).rounded(.up)))
        configuration.limits = try FakeWBConfiguration.parseLimits(
            "orders=1000/1s:1000,sales=1000/1s:1000,report=1000/1s:1000,finance=1000/1s:1000",
            variable: "bench"
        )
        let fake = FakeWBState(configuration: configuration)
        let expected = fake.snapshot(seller: 1, dataset: "report")
        let generateSeconds = (ContinuousClock.now - generated).seconds
        let redis = try Runtime.redis(environment: environment, logger: logger, name: "joycity-bench")
        return try await FakeWBServer.withRunning(state: fake, logger: logger) { url in
            try await database.withClient(logger: logger) { postgres in
                try await Migrator(client: postgres, logger: logger).migrate()

                let secrets = try SecretBox(keys: [("bench", Array(repeating: 5, count: 32))])
                let accounts = AccountStore(client: postgres, secrets: secrets, logger: logger)
                let token = fake.token(seller: 1)
                let claims = try WBToken(token)
                let account = try await accounts.add(
                    name: "Bench",
                    inn: "7700000000",
                    token: token,
                    sellerID: claims.sellerID,
                    expiresAt: claims.expiresAt
                ).id
                let client = WBClient(
                    configuration: .init(statisticsURL: url, financeURL: url, rateLimits: try WBRateLimits(parsing: "report=1000/1s:1000")),
                    limiter: RateLimiter(redis: redis, prefix: "joycity-bench-\(UInt32.random(in: 0...UInt32.max))"),
                    logger: logger
                )
                let syncer = WBSyncer(
                    accounts: accounts,
                    raw: WBRawStore(client: postgres, logger: logger),
                    client: client,
                    configuration: .init(lookback: .seconds(40 * 86_400))
                )

                // Baseline: COPY the same JSON with the same key columns into a scratch copy of the same table (same
                // key, indexes, storage), so only the path differs. The COPY text is prepared before any clock starts.
                try await postgres.query("CREATE TABLE bench_copy (LIKE wb_report_rows INCLUDING ALL)", logger: logger)
                var chunks: [ByteBuffer] = []
                var chunk = ByteBuffer()
                var bytes = 0
                for (key, json) in expected {
                    let row = (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
                    let report = (row["realizationreport_id"] as? NSNumber)?.stringValue ?? "\\N"
                    let day = (row["rr_dt"] as? String).map { String($0.prefix(10)) } ?? "\\N"
                    let nm = (row["nm_id"] as? NSNumber)?.stringValue ?? "\\N"
                    chunk.writeString("\(account)\t\(key)\t\(report)\t\(day)\t\(nm)\tstatistics\t1\t")
                    chunk.writeString(json.replacingOccurrences(of: "\\", with: "\\\\"))
                    chunk.writeStaticString("\n")
                    bytes += json.utf8.count
                    if chunk.readableBytes > 8 << 20 {
                        chunks.append(chunk)
                        chunk = ByteBuffer()
                    }
                }
                chunks.append(chunk)

                // Rounds of sync then COPY, each into empty tables: this machine is shared and noisy, so each round
                // pairs the two under the same conditions and the report gives the median round.
                var measured: [Round] = []
                var pages = 0
                for _ in 0..<rounds {
                    try await postgres.query("TRUNCATE wb_report_rows, bench_copy", logger: logger)
                    try await postgres.query("DELETE FROM wb_sync_cursors WHERE account_id = \(account)", logger: logger)
                    let started = ContinuousClock.now
                    let outcome = try await syncer.sync(account: account, dataset: .report, context: nil)
                    let syncSeconds = (ContinuousClock.now - started).seconds
                    guard outcome.state == "succeeded", outcome.rows == expected.count else {
                        throw StoreError(
                            .invalidInput,
                            "the sync stored \(outcome.rows) of \(expected.count) rows (\(outcome.state) \(outcome.note ?? ""))"
                        )
                    }
                    pages = outcome.pages
                    let copyStarted = ContinuousClock.now
                    try await postgres.withConnection { connection in
                        try await connection.copyFrom(
                            table: "bench_copy",
                            columns: ["account_id", "rrd_id", "realizationreport_id", "rr_dt", "nm_id", "source", "sync_run", "doc"],
                            logger: logger
                        ) { writer in
                            for chunk in chunks { try await writer.write(chunk) }
                        }
                    }
                    measured.append(Round(syncSeconds: syncSeconds, copySeconds: (ContinuousClock.now - copyStarted).seconds))
                }

                // Where the sync's time goes: the first page again, fetched and then stored under a second account.
                let credentials = WBClient.Credentials(raw: token, claims: claims)
                let fetchStarted = ContinuousClock.now
                let page = try await client.reportDetail(credentials, dateFrom: "2020-01-01", dateTo: "2099-12-31", rrdid: 0)
                let fetchPageSeconds = (ContinuousClock.now - fetchStarted).seconds
                guard case .rows(let body) = page else { throw StoreError(.invalidInput, "the fake sent no report page") }
                let second = try await accounts.add(name: "Bench 2", inn: "7700000001", token: nil, sellerID: nil, expiresAt: nil).id
                let raw = WBRawStore(client: postgres, logger: logger)
                let window = try await raw.openReportWindow(account: second, from: "2020-01-01", to: "2099-12-31", run: 1)
                let storeStarted = ContinuousClock.now
                let stored = try await raw.storeReportPage(account: second, run: window.runID ?? 1, source: "statistics", page: body)
                let storePageSeconds = (ContinuousClock.now - storeStarted).seconds
                await redis.shutdown()
                let n = Double(expected.count)
                let median = measured.sorted { $0.ratio < $1.ratio }[measured.count / 2]
                return Report(
                    rows: expected.count,
                    pages: pages,
                    pageRows: client.configuration.reportPageLimit,
                    bytesPerRow: bytes / max(1, expected.count),
                    generateSeconds: generateSeconds,
                    syncSeconds: median.syncSeconds,
                    syncRowsPerSecond: n / median.syncSeconds,
                    copySeconds: median.copySeconds,
                    copyRowsPerSecond: n / median.copySeconds,
                    ratio: median.ratio,
                    rounds: measured.map {
                        RoundFigures(syncRowsPerSecond: n / $0.syncSeconds, copyRowsPerSecond: n / $0.copySeconds, ratio: $0.ratio)
                    },
                    fetchPageSeconds: fetchPageSeconds,
                    storePageSeconds: storePageSeconds,
                    pageRowsMeasured: stored.rows
                )
            }
        }
    }
}
