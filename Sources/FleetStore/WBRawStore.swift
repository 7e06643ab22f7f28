import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Raw WB rows in PostgreSQL, stored as WB sent them (`jsonb`, unknown fields kept) with key columns extracted for
/// deduplication and indexing, plus per-dataset sync cursors and the sync-run log.
///
/// Every page is stored by one statement that upserts its rows *and* moves the cursor, so a crash between pages
/// leaves no gap and no duplicate: the next run starts exactly after the last stored page.
public struct WBRawStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    /// Creates a store.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    // MARK: runs

    /// Opens a sync-run log entry. - Returns: its id.
    ///
    /// Syncs of one account and dataset run one at a time, so a `running` entry still there is abandoned (its worker
    /// died, or PostgreSQL was down when it tried to record the end): it is closed as `failed` in the same statement.
    public func startRun(account: Int64, dataset: WBDataset, jobID: String?) async throws -> Int64 {
        let rows = try await client.query(
            """
            WITH abandoned AS (
              UPDATE wb_sync_runs SET state = 'failed', finished_at = now(),
                error = 'abandoned: the run ended without recording its outcome (its worker stopped, or PostgreSQL was unreachable at the end)'
              WHERE account_id = \(account) AND dataset = \(dataset.rawValue) AND state = 'running'
            )
            INSERT INTO wb_sync_runs (account_id, dataset, job_id) VALUES (\(account), \(dataset.rawValue), \(jobID)) RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { return id }
        throw StoreError(.databaseUnavailable, "INSERT … RETURNING gave no row")
    }

    /// Closes a sync-run log entry.
    public func finishRun(_ run: Int64, state: String, pages: Int, rows: Int, error: String?) async throws {
        try await client.query(
            """
            UPDATE wb_sync_runs SET finished_at = now(), state = \(state), pages = \(pages), rows = \(rows), error = \(error)
            WHERE id = \(run)
            """,
            logger: logger
        )
    }

    // MARK: cursors

    /// The cursor of one dataset of one account (nil before its first page).
    public func cursor(account: Int64, dataset: WBDataset) async throws -> SyncCursor? {
        let rows = try await client.query(
            """
            SELECT cursor_text, to_char(window_from, 'YYYY-MM-DD'), to_char(window_to, 'YYYY-MM-DD'), rrd_id, run_id,
                   to_char(completed_to, 'YYYY-MM-DD')
            FROM wb_sync_cursors WHERE account_id = \(account) AND dataset = \(dataset.rawValue)
            """,
            logger: logger
        )
        for try await (text, from, to, rrd, run, completed) in rows.decode((String?, String?, String?, Int64, Int64?, String?).self) {
            return SyncCursor(changeCursor: text, windowFrom: from, windowTo: to, rrdID: rrd, runID: run, completedTo: completed)
        }
        return nil
    }

    // MARK: orders and sales

    /// Stores one orders or sales page (a JSON array as WB sent it) and moves the cursor to its newest
    /// `lastChangeDate`, in one statement.
    ///
    /// A row replaces the stored one only when its `lastChangeDate` is newer (or equal with different content), so a
    /// replayed older page never overwrites newer data.
    /// - Throws: ``StoreError`` `malformedData` when the page is not a JSON array of rows with their key and a valid
    ///   `lastChangeDate` (nothing is stored); `databaseUnavailable`.
    public func storeChangePage(account: Int64, dataset: WBDataset, page: ByteBuffer) async throws -> ChangePageResult {
        let table: String
        let key: String
        let extra: (columns: String, values: String, updates: String)
        switch dataset {
        case .orders:
            (table, key) = ("wb_orders", "srid")
            extra = (
                "order_date, nm_id", "(doc->>'date')::timestamp, (doc->>'nmId')::bigint", "order_date = EXCLUDED.order_date, nm_id = EXCLUDED.nm_id"
            )
        case .sales:
            (table, key) = ("wb_sales", "sale_id")
            extra = (
                "srid, sale_date, nm_id", "doc->>'srid', (doc->>'date')::timestamp, (doc->>'nmId')::bigint",
                "srid = EXCLUDED.srid, sale_date = EXCLUDED.sale_date, nm_id = EXCLUDED.nm_id"
            )
        case .report:
            throw StoreError(.invalidInput, "report pages are stored with storeReportPage")
        }
        let wireKey = dataset == .orders ? "srid" : "saleID"
        var binds = PostgresBindings(capacity: 3)
        binds.append(account)
        binds.append(try JSONRows(page: page))
        binds.append(dataset.rawValue)
        let sql = """
            WITH page AS (
              SELECT doc, doc->>'\(wireKey)' AS k, doc->>'lastChangeDate' AS lcd_text,
                     -- Only ISO dates (PostgreSQL would also take words like 'yesterday'); anything else is NULL and
                     -- fails the NOT NULL column, refusing the page.
                     -- A timestamp with a zone (WB usually sends none: MSK) is turned into MSK wall-clock time.
                     CASE WHEN doc->>'lastChangeDate' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?$'
                          THEN (doc->>'lastChangeDate')::timestamp
                          WHEN doc->>'lastChangeDate' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
                          THEN (doc->>'lastChangeDate')::timestamptz AT TIME ZONE 'Europe/Moscow' END AS lcd
              -- Each row is parsed once, into jsonb; keys are read from that (->> on json re-parses the text).
              -- unnest in the select list streams the array (in FROM it would be copied into a tuplestore first);
              -- OFFSET 0 keeps the subquery apart, so each row is parsed into jsonb once.
              FROM (SELECT unnest($2::text[])::jsonb AS doc OFFSET 0) AS rows
            ), latest AS (
              SELECT DISTINCT ON (k) * FROM page ORDER BY k, lcd DESC
            ), up AS (
              INSERT INTO \(table) AS t (account_id, \(key), last_change_date, \(extra.columns), doc)
              SELECT $1, k, lcd, \(extra.values), doc FROM latest
              ON CONFLICT (account_id, \(key)) DO UPDATE SET
                last_change_date = EXCLUDED.last_change_date, \(extra.updates), doc = EXCLUDED.doc, synced_at = now()
              WHERE t.last_change_date < EXCLUDED.last_change_date
                 OR (t.last_change_date = EXCLUDED.last_change_date AND t.doc IS DISTINCT FROM EXCLUDED.doc)
              RETURNING 1
            ), top AS (
              SELECT lcd, lcd_text FROM page ORDER BY lcd DESC LIMIT 1
            ), cur AS (
              INSERT INTO wb_sync_cursors AS c (account_id, dataset, cursor_ts, cursor_text)
              SELECT $1, $3, lcd, lcd_text FROM top
              ON CONFLICT (account_id, dataset) DO UPDATE SET cursor_ts = EXCLUDED.cursor_ts, cursor_text = EXCLUDED.cursor_text, updated_at = now()
              WHERE c.cursor_ts IS NULL OR c.cursor_ts < EXCLUDED.cursor_ts
              RETURNING cursor_text
            )
            SELECT (SELECT count(*) FROM page), (SELECT count(*) FROM up), (SELECT cursor_text FROM cur),
                   (SELECT count(*) FROM page WHERE k IS NULL OR k = '')
            """
        do {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            for try await (count, written, cursor, missingKeys) in rows.decode((Int64, Int64, String?, Int64).self) {
                if missingKeys > 0 {
                    // Cannot happen after a successful insert (the key column is NOT NULL); kept as a guard.
                    throw StoreError(.malformedData, "\(missingKeys) \(dataset.rawValue) rows have no \(wireKey)")
                }
                return ChangePageResult(rows: Int(count), written: Int(written), advanced: cursor != nil, cursor: cursor)
            }
            throw StoreError(.databaseUnavailable, "the page statement returned no row")
        } catch {
            throw StoreError.storing("a WB \(dataset.rawValue) page", error)
        }
    }

    // MARK: report

    /// Opens a report window for a run (or keeps the open one, to resume after a crash).
    /// - Returns: the cursor to read from: an open window's run id and `rrd_id`, or the new window's.
    public func openReportWindow(account: Int64, from: String, to: String, run: Int64) async throws -> SyncCursor {
        try await client.query(
            """
            INSERT INTO wb_sync_cursors AS c (account_id, dataset, window_from, window_to, rrd_id, run_id)
            VALUES (\(account), 'report', \(from)::date, \(to)::date, 0, \(run))
            ON CONFLICT (account_id, dataset) DO UPDATE SET window_from = EXCLUDED.window_from, window_to = EXCLUDED.window_to,
              rrd_id = 0, run_id = EXCLUDED.run_id, updated_at = now()
            WHERE c.run_id IS NULL
            """,
            logger: logger
        )
        guard let cursor = try await cursor(account: account, dataset: .report) else {
            throw StoreError(.databaseUnavailable, "the report cursor vanished")
        }
        return cursor
    }

    /// Stores one report page (rows of `reportDetailByPeriod` or of the finance-api successor) under the window's
    /// run, and moves the window's `rrd_id` cursor, in one statement.
    /// - Throws: ``StoreError`` `malformedData` when the page is not a JSON array of rows with an integer
    ///   `rrd_id`/`rrdId` (nothing is stored); `databaseUnavailable`.
    public func storeReportPage(account: Int64, run: Int64, source: String, page: ByteBuffer) async throws -> ReportPageResult {
        var binds = PostgresBindings(capacity: 4)
        binds.append(account)
        binds.append(try JSONRows(page: page))
        binds.append(run)
        binds.append(source)
        let sql = """
            -- The run must own the report window (its cursor row, locked for the statement): a run that lost it stores
            -- nothing. No CTE reads the page twice, so nothing holds the page's 200 MB of jsonb in a temporary file:
            -- the insert streams the rows and the cursor comes from what it returns.
            WITH own AS (
              SELECT 1 FROM wb_sync_cursors WHERE account_id = $1 AND dataset = 'report' AND run_id = $3 FOR UPDATE
            ), up AS (
              INSERT INTO wb_report_rows AS t (account_id, rrd_id, realizationreport_id, rr_dt, nm_id, source, sync_run, doc)
              SELECT $1, coalesce(doc->>'rrd_id', doc->>'rrdId')::bigint,
                     coalesce(doc->>'realizationreport_id', doc->>'realizationreportId', doc->>'reportId')::bigint,
                     left(coalesce(doc->>'rr_dt', doc->>'rrDt', doc->>'rrDate'), 10)::date,
                     coalesce(doc->>'nm_id', doc->>'nmId')::bigint,
                     $4, $3, doc
              -- unnest in the select list streams the array (in FROM it would be copied into a tuplestore first);
              -- OFFSET 0 keeps the subquery apart, so each row is parsed into jsonb once.
              FROM (SELECT unnest($2::text[])::jsonb AS doc WHERE EXISTS (SELECT 1 FROM own) OFFSET 0) AS page
              ON CONFLICT (account_id, rrd_id) DO UPDATE SET
                realizationreport_id = EXCLUDED.realizationreport_id, rr_dt = EXCLUDED.rr_dt, nm_id = EXCLUDED.nm_id,
                source = EXCLUDED.source, sync_run = EXCLUDED.sync_run, doc = EXCLUDED.doc, synced_at = now()
              RETURNING t.rrd_id
            ), cur AS (
              UPDATE wb_sync_cursors SET rrd_id = greatest(rrd_id, (SELECT max(rrd_id) FROM up)), updated_at = now()
              WHERE account_id = $1 AND dataset = 'report' AND run_id = $3 AND EXISTS (SELECT 1 FROM up)
              RETURNING rrd_id
            )
            -- Every row of an owned page is in `up` (a key twice in one page fails the statement: ON CONFLICT cannot
            -- affect a row twice).
            -- (`cur` runs although nothing reads it: data-modifying CTEs always run to completion.)
            SELECT cardinality($2::text[]), (SELECT count(*) FROM own), (SELECT count(*) FROM up), (SELECT max(rrd_id) FROM up)
            """
        do {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            for try await (count, owned, stored, last) in rows.decode((Int64, Int64, Int64, Int64?).self) {
                if count > 0 && owned == 0 {
                    throw StoreError(.invalidInput, "report window of account \(account) is no longer owned by run \(run)")
                }
                return ReportPageResult(rows: Int(stored), lastRrdID: last)
            }
            throw StoreError(.databaseUnavailable, "the page statement returned no row")
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.storing("a WB report page", error)
        }
    }

    /// Gives up the open report window of `account`, if any (its token was refused): the next run opens a new one
    /// and reads it from the start; `completed_to` stays as it was.
    public func releaseReportWindow(account: Int64) async throws {
        do {
            try await client.query(
                "UPDATE wb_sync_cursors SET run_id = NULL, rrd_id = 0, updated_at = now() WHERE account_id = \(account) AND dataset = 'report' AND run_id IS NOT NULL",
                logger: logger
            )
        } catch {
            throw StoreError.storing("the report window's release", error)
        }
    }

    /// Closes a report window read to its end and replaces by report: every row of a report (`realizationreport_id`)
    /// this run read, and every row dated in the window (`rr_dt`), that this run did not see was removed or replaced
    /// by WB when it recomputed the report, and is deleted, though its own date may fall before the window (WB sends
    /// whole weekly reports that overlap the window); the cursor records the window.
    /// - Returns: how many stale rows were deleted.
    public func closeReportWindow(account: Int64, run: Int64) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                WITH w AS (
                  SELECT window_from, window_to FROM wb_sync_cursors
                  WHERE account_id = \(account) AND dataset = 'report' AND run_id = \(run) FOR UPDATE
                ), seen AS (
                  SELECT DISTINCT realizationreport_id FROM wb_report_rows
                  WHERE account_id = \(account) AND sync_run = \(run) AND realizationreport_id IS NOT NULL
                ), gone AS (
                  DELETE FROM wb_report_rows r USING w
                  WHERE r.account_id = \(account) AND r.sync_run <> \(run)
                    AND (r.rr_dt BETWEEN w.window_from AND w.window_to OR r.realizationreport_id IN (SELECT realizationreport_id FROM seen))
                  RETURNING 1
                ), done AS (
                  UPDATE wb_sync_cursors c SET completed_to = w.window_to, run_id = NULL, rrd_id = 0, updated_at = now()
                  FROM w WHERE c.account_id = \(account) AND c.dataset = 'report'
                  RETURNING 1
                )
                SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM done)
                """,
                logger: logger
            )
            for try await (gone, done) in rows.decode((Int64, Int64).self) {
                if done == 0 { throw StoreError(.invalidInput, "report window of account \(account) is not open for run \(run)") }
                return Int(gone)
            }
            return 0
        }
    }
}
