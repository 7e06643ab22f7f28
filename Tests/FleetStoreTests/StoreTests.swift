import FleetCore
import FleetStore
import FleetTesting
import Foundation
import NIOCore
import PostgresNIO
import Testing

/// The PostgreSQL store: migrations, sealed tokens, accounts, and refusal of malformed pages.
@Suite struct StoreTests {
    @Test func migrationsRunOnceWhenRunTwiceAndByTwoProcessesAtOnce() async throws {
        try await TestPostgres.withDatabase(migrated: false) { postgres, configuration in
            // Two migrators on two clients (as two processes would be) race; the advisory lock serialises them.
            async let first = TestPostgres.run(configuration) { try await Migrator(client: $0, logger: TestRedis.logger).migrate() }
            async let second = TestPostgres.run(configuration) { try await Migrator(client: $0, logger: TestRedis.logger).migrate() }
            let applied = try await [first, second]
            #expect(applied.flatMap { $0 }.sorted() == Migration.all.map(\.version), "every migration applied exactly once: \(applied)")
            #expect(try await Migrator(client: postgres, logger: TestRedis.logger).migrate().isEmpty)
            var versions: [Int] = []
            for try await v in try await postgres.query("SELECT version FROM schema_migrations ORDER BY version").decode(Int.self) {
                versions.append(v)
            }
            #expect(versions == Migration.all.map(\.version))
        }
    }

    @Test func twoJoycityMigrateProcessesAtOnce() async throws {
        try await TestPostgres.withDatabase(migrated: false) { postgres, configuration in
            let url = TestPostgres.url(configuration)
            let processes = try (0..<2).map { _ in try FleetProcess(["migrate"], environment: ["DATABASE_URL": url]) }
            for process in processes {
                #expect(await process.waitForExit(timeout: .seconds(30)) == 0, "\(process.output)")
            }
            #expect(processes.map(\.output).contains { $0.contains("applied migrations") })
            var count = 0
            for try await n in try await postgres.query("SELECT count(*) FROM schema_migrations").decode(Int.self) { count = n }
            #expect(count == Migration.all.count)
        }
    }

    @Test func aMigratorWaitingForAHeldLockGivesUpWithAClearError() async throws {
        try await TestPostgres.withDatabase(migrated: false) { postgres, configuration in
            try await TestPostgres.run(configuration) { holder in
                try await holder.withConnection { connection in
                    try await connection.query("SELECT pg_advisory_lock(\(Migrator.lockKey))", logger: TestRedis.logger)
                    let start = ContinuousClock.now
                    do {
                        try await Migrator(client: postgres, lockTimeout: .seconds(1), logger: TestRedis.logger).migrate()
                        Issue.record("the migrator did not wait for the held lock")
                    } catch let error as StoreError {
                        #expect(
                            error.code == .databaseUnavailable && error.message.contains("migration lock")
                                && error.message.contains("pg_stat_activity")
                        )
                    }
                    #expect(ContinuousClock.now - start < .seconds(10))
                    try await connection.query("SELECT pg_advisory_unlock(\(Migrator.lockKey))", logger: TestRedis.logger)
                }
            }
            #expect(
                try await Migrator(client: postgres, logger: TestRedis.logger).migrate().count == Migration.all.count,
                "it migrates once the lock is free"
            )
        }
    }

    @Test func aSyncRunLeftRunningIsClosedAsAbandonedByTheNextRunOfItsDataset() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            let accounts = AccountStore(
                client: postgres,
                secrets: try SecretBox(keys: [("k1", Array(repeating: 1, count: 32))]),
                logger: TestRedis.logger
            )
            let account = try await accounts.add(name: "A", inn: "7700000009", token: nil, sellerID: nil, expiresAt: nil).id
            let raw = WBRawStore(client: postgres, logger: TestRedis.logger)
            let first = try await raw.startRun(account: account, dataset: .orders, jobID: "J1")
            let sales = try await raw.startRun(account: account, dataset: .sales, jobID: "J2")
            let second = try await raw.startRun(account: account, dataset: .orders, jobID: "J3")
            var states: [Int64: (String, String?)] = [:]
            for try await (id, state, error) in try await postgres.query("SELECT id, state, error FROM wb_sync_runs").decode(
                (Int64, String, String?).self
            ) {
                states[id] = (state, error)
            }
            #expect(states[first]?.0 == "failed" && states[first]?.1?.contains("abandoned") == true)
            #expect(states[sales]?.0 == "running" && states[second]?.0 == "running")
        }
    }

    @Test func aFailedMigrationRollsBackAndSaysWhich() async throws {
        try await TestPostgres.withDatabase(migrated: false) { postgres, _ in
            let broken =
                Migration.all + [
                    Migration(
                        version: 99,
                        name: "broken on purpose",
                        statements: ["CREATE TABLE half_done (id int)", "SELECT no_such_column FROM half_done"]
                    )
                ]
            do {
                try await Migrator(client: postgres, migrations: broken, logger: TestRedis.logger).migrate()
                Issue.record("a broken migration must fail")
            } catch let error as StoreError {
                #expect(error.code == .migrationFailed)
                #expect(error.message.contains("99") && error.message.contains("broken on purpose"))
            }
            var tables = 0
            for try await n in try await postgres.query("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'").decode(Int.self) {
                tables = n
            }
            #expect(tables == 0, "the failed migration left nothing behind")
            #expect(try await Migrator(client: postgres, logger: TestRedis.logger).migrate().isEmpty, "the good ones stayed applied")
        }
    }

    @Test func tokensAreSealedAtRestAndKeysRotate() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            let old = try SecretBox(keys: [("k1", Array(repeating: 1, count: 32))])
            let store = AccountStore(client: postgres, secrets: old, logger: TestRedis.logger)
            let token = "eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJ4In0.secret-signature"
            let account = try await store.add(name: "ООО Ромашка", inn: "7701234567", token: token, sellerID: "x", expiresAt: nil)
            var raw = ByteBuffer()
            for try await bytes in try await postgres.query("SELECT wb_token FROM seller_accounts WHERE id = \(account.id)").decode(ByteBuffer.self) {
                raw = bytes
            }
            #expect(!String(buffer: raw).contains("secret-signature"))
            #expect(try await store.credentials(id: account.id).token == token)

            let rotated = try SecretBox(keys: [("k1", Array(repeating: 1, count: 32)), ("k2", Array(repeating: 2, count: 32))], activeKeyID: "k2")
            #expect(try await AccountStore(client: postgres, secrets: rotated, logger: TestRedis.logger).rotateKeys() == 1)
            let onlyNew = AccountStore(
                client: postgres,
                secrets: try SecretBox(keys: [("k2", Array(repeating: 2, count: 32))]),
                logger: TestRedis.logger
            )
            #expect(try await onlyNew.credentials(id: account.id).token == token)
            await #expect(throws: StoreError.self) { _ = try await store.credentials(id: account.id) }  // k2 is unknown to the old box
            let wrongMaterial = AccountStore(
                client: postgres,
                secrets: try SecretBox(keys: [("k2", Array(repeating: 9, count: 32))]),
                logger: TestRedis.logger
            )
            do {
                _ = try await wrongMaterial.credentials(id: account.id)
                Issue.record("a wrong key must not open the token")
            } catch let error as StoreError {
                #expect(error.code == .secretUndecryptable)
            }
        }
    }

    @Test func badAccountInputGetsClearErrors() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            let store = AccountStore(
                client: postgres,
                secrets: try SecretBox(keys: [("k", Array(repeating: 3, count: 32))]),
                logger: TestRedis.logger
            )
            for (name, inn) in [("", "7701234567"), ("A", "123"), ("A", "77012345AB")] {
                do {
                    _ = try await store.add(name: name, inn: inn, token: nil, sellerID: nil, expiresAt: nil)
                    Issue.record("\(name)/\(inn) must be refused")
                } catch let error as StoreError {
                    #expect(error.code == .invalidInput)
                }
            }
            _ = try await store.add(name: "A", inn: "770123456789", token: nil, sellerID: nil, expiresAt: nil)
            await #expect(throws: StoreError.self) {
                _ = try await store.add(name: "B", inn: "770123456789", token: nil, sellerID: nil, expiresAt: nil)
            }
            await #expect(throws: StoreError.self) { try await store.setSyncEnabled(id: 999, false) }
            let noKeys = AccountStore(client: postgres, secrets: try SecretBox(keys: []), logger: TestRedis.logger)
            do {
                _ = try await noKeys.add(name: "C", inn: "7709876543", token: "t.t.t", sellerID: nil, expiresAt: nil)
                Issue.record("a token cannot be stored without a key")
            } catch let error as StoreError {
                #expect(error.code == .secretKeyMissing)
                #expect(error.message.contains("JOYCITY_SECRET_KEYS"))
            }
            #expect(throws: ConfigurationError.self) {
                _ = try SecretBox(environment: EnvironmentReader(values: ["JOYCITY_SECRET_KEYS": "k:notbase64"]))
            }
            #expect(throws: ConfigurationError.self) { _ = try DatabaseConfiguration(url: "mysql://x") }
        }
    }

    @Test func malformedPagesAreRefusedWholeWithoutMovingTheCursor() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            let store = AccountStore(client: postgres, secrets: try SecretBox(keys: []), logger: TestRedis.logger)
            let account = try await store.add(name: "A", inn: "7701234567", token: nil, sellerID: nil, expiresAt: nil).id
            let raw = WBRawStore(client: postgres, logger: TestRedis.logger)
            let good = #"[{"srid":"a","lastChangeDate":"2026-11-01T10:00:00","date":"2026-11-01T09:00:00","nmId":1}]"#
            #expect(try await raw.storeChangePage(account: account, dataset: .orders, page: ByteBuffer(string: good)).written == 1)
            let bad = [
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00"},{"lastChangeDate":"2026-11-03T10:00:00"}]"#,  // a row without srid
                #"[{"srid":"b","lastChangeDate":"yesterday"}]"#,  // a bad timestamp
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00","nmId":"x"}]"#,  // a non-numeric article
                #"[{"srid":"b","lastChangeDate":"2026-11-02T1"#,  // truncated
                #"{"srid":"b"}"#,  // not an array
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00",}]"#,  // a row that is not valid JSON (trailing comma)
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00"} {"srid":"c","lastChangeDate":"2026-11-02T10:00:00"}]"#,  // no comma
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00"},,{"srid":"c","lastChangeDate":"2026-11-02T10:00:00"}]"#,  // empty element
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00"},]"#,  // trailing comma
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00"}] []"#,  // bytes after the array
                #"[{"srid":"b","lastChangeDate":"2026-11-02T10:00:00"}}]"#,  // an unmatched brace
                #"[{"srid":"b\u0000","lastChangeDate":"2026-11-02T10:00:00"}]"#,  // a NUL jsonb cannot hold
                "",  // an empty body
            ]
            for page in bad {
                do {
                    _ = try await raw.storeChangePage(account: account, dataset: .orders, page: ByteBuffer(string: page))
                    Issue.record("must be refused: \(page)")
                } catch let error as StoreError {
                    #expect(error.code == .malformedData, "\(error)")
                }
            }
            // Bytes that are not UTF-8 inside a row.
            var invalidUTF8 = ByteBuffer(string: #"[{"srid":""#)
            invalidUTF8.writeBytes([0xC3, 0x28])
            invalidUTF8.writeString(#"","lastChangeDate":"2026-11-02T10:00:00"}]"#)
            await #expect(throws: StoreError.self) { _ = try await raw.storeChangePage(account: account, dataset: .orders, page: invalidUTF8) }
            #expect(try await raw.cursor(account: account, dataset: .orders)?.changeCursor == "2026-11-01T10:00:00")
            var n = 0
            for try await c in try await postgres.query("SELECT count(*) FROM wb_orders").decode(Int.self) { n = c }
            #expect(n == 1)
            // A zoned timestamp is read as the same instant in MSK.
            let zoned = #"[{"srid":"z","lastChangeDate":"2026-11-01T08:00:00Z","date":"2026-11-01T09:00:00","nmId":3}]"#
            _ = try await raw.storeChangePage(account: account, dataset: .orders, page: ByteBuffer(string: zoned))
            for try await text in try await postgres.query("SELECT last_change_date::text FROM wb_orders WHERE srid = 'z'").decode(String.self) {
                #expect(text == "2026-11-01 11:00:00")
            }
            // An older version of a row never overwrites a newer one.
            let stale = #"[{"srid":"a","lastChangeDate":"2026-10-01T10:00:00","date":"2026-11-01T09:00:00","nmId":2}]"#
            #expect(try await raw.storeChangePage(account: account, dataset: .orders, page: ByteBuffer(string: stale)).written == 0)
        }
    }

    @Test func reportPagesMoveTheCursorWithTheirRowsOrNotAtAll() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            let store = AccountStore(client: postgres, secrets: try SecretBox(keys: []), logger: TestRedis.logger)
            let account = try await store.add(name: "A", inn: "7701234567", token: nil, sellerID: nil, expiresAt: nil).id
            let raw = WBRawStore(client: postgres, logger: TestRedis.logger)
            _ = try await raw.openReportWindow(account: account, from: "2026-11-01", to: "2026-11-07", run: 7)
            func row(_ rrd: Int, nm: Int = 1) -> String { #"{"rrd_id":\#(rrd),"realizationreport_id":9,"rr_dt":"2026-11-02","nm_id":\#(nm)}"# }

            let first = try await raw.storeReportPage(
                account: account,
                run: 7,
                source: "statistics",
                page: ByteBuffer(string: "[\(row(5)),\(row(3)),\(row(8))]")
            )
            #expect(first.rows == 3 && first.lastRrdID == 8)
            #expect(try await raw.cursor(account: account, dataset: .report)?.rrdID == 8)
            // A row WB sends again replaces the stored one; the cursor never moves back.
            let again = try await raw.storeReportPage(account: account, run: 7, source: "statistics", page: ByteBuffer(string: "[\(row(3, nm: 42))]"))
            #expect(again.rows == 1 && again.lastRrdID == 3)
            #expect(try await raw.cursor(account: account, dataset: .report)?.rrdID == 8)
            // An empty page stores nothing and moves nothing.
            let empty = try await raw.storeReportPage(account: account, run: 7, source: "statistics", page: ByteBuffer(string: "[]"))
            #expect(empty.rows == 0 && empty.lastRrdID == nil)

            let refused = [
                "[\(row(10)),\(row(10))]",  // the same row twice in one page
                #"[\#(row(11)),{"realizationreport_id":9,"rr_dt":"2026-11-02"}]"#,  // a row without rrd_id
                #"[\#(row(12)),{"rrd_id":"x"}]"#,  // a non-numeric rrd_id
            ]
            for page in refused {
                await #expect(throws: StoreError.self, "must be refused: \(page)") {
                    _ = try await raw.storeReportPage(account: account, run: 7, source: "statistics", page: ByteBuffer(string: page))
                }
            }
            // A run that no longer owns the window cannot store into it.
            await #expect(throws: StoreError.self) {
                _ = try await raw.storeReportPage(account: account, run: 6, source: "statistics", page: ByteBuffer(string: "[\(row(20))]"))
            }
            #expect(try await raw.cursor(account: account, dataset: .report)?.rrdID == 8)
            var stored: [Int] = []
            for try await (rrd, nm) in try await postgres.query("SELECT rrd_id, nm_id FROM wb_report_rows ORDER BY rrd_id").decode((Int, Int).self) {
                stored.append(rrd)
                if rrd == 3 { #expect(nm == 42) }
            }
            #expect(stored == [3, 5, 8])
        }
    }

    @Test func pagesAreSplitIntoRowsWithoutBeingFooledByStringsAndNesting() throws {
        let page = " [ {\"a\":\"x,]}\\\"[{\",\"b\":[1,{\"c\":[]}]} ,\n\t\"\\\\\" , 12 ,[\"]\"],null,{}\r\n] \n"
        let rows = try JSONRows(page: ByteBuffer(string: page))
        let texts = (0..<rows.count).map { String(decoding: rows.row($0), as: UTF8.self) }
        #expect(texts == [#"{"a":"x,]}\"[{","b":[1,{"c":[]}]}"#, #""\\""#, "12", #"["]"]"#, "null", "{}"])
        #expect(try JSONRows(page: ByteBuffer(string: " [ ] ")).count == 0)
        for bad in ["", "  ", "{}", "[", "[1", "[1,", #"["a]"#, #"["a\"]"#, "[1,,2]", "[,]", "[1,]", "[1] 2", "[}]", "[1}]", "x[1]"] {
            #expect(throws: StoreError.self, "\(bad)") { _ = try JSONRows(page: ByteBuffer(string: bad)) }
        }
    }

    @Test func rowsAreStoredExactlyAsSentWhateverTheirStringsHold() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            let store = AccountStore(client: postgres, secrets: try SecretBox(keys: []), logger: TestRedis.logger)
            let account = try await store.add(name: "A", inn: "7701234567", token: nil, sellerID: nil, expiresAt: nil).id
            let raw = WBRawStore(client: postgres, logger: TestRedis.logger)
            // srids as JSON string contents (escapes included): commas, brackets, quotes, backslashes, escapes, Cyrillic.
            let tricky = [#"a,b]"#, #"c\"}{d"#, #"e\\"#, #"ж\n\t"#, "[{]", #"\u0416\""#]
            let page =
                "["
                + tricky.enumerated().map { index, srid in
                    #"{"srid":"\#(srid)","lastChangeDate":"2026-11-01T10:00:0\#(index)","date":"2026-11-01T09:00:00","nmId":\#(index),"extra":{"list":[1,"],"]}}"#
                }.joined(separator: ",\n") + "]"
            let result = try await raw.storeChangePage(account: account, dataset: .orders, page: ByteBuffer(string: page))
            #expect(result.rows == tricky.count && result.written == tricky.count)
            let expected = try JSONSerialization.jsonObject(with: Data(page.utf8)) as! [[String: Any]]
            var stored: [String: String] = [:]
            for try await (srid, doc) in try await postgres.query("SELECT srid, doc::text FROM wb_orders").decode((String, String).self) {
                stored[srid] = doc
            }
            #expect(stored.count == tricky.count)
            for row in expected {
                let srid = row["srid"] as! String
                let doc = try #require(stored[srid], "row \(srid) stored under its own key")
                let back = try JSONSerialization.jsonObject(with: Data(doc.utf8)) as! [String: Any]
                #expect(NSDictionary(dictionary: back).isEqual(to: row), "\(srid): \(doc)")
            }
        }
    }
}
