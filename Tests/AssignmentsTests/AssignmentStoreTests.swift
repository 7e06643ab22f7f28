import Assignments
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import JobCatalog
import PostgresNIO
import Queue
import Synchronization
import Testing

@Suite("assignment store: one manager per article and month, synced-data checks, audit, copy", .serialized)
struct AssignmentStoreTests {
    @Test("replace and deltas; a second claim is a conflict naming the holder; nothing changes when refused")
    func replaceDeltaConflict() async throws {
        try await AssignmentFixture.run { f in
            let first = try await f.set("anna", [178_231_456, 209_455_871])
            #expect(first.added == [178_231_456, 209_455_871] && first.removed.isEmpty)
            let conflict = await #expect(throws: AssignmentError.self) { try await f.set("boris", [178_231_456, 231_906_114]) }
            #expect(conflict?.kind == .conflict)
            #expect(conflict?.conflicts == [ArticleConflict(nmId: 178_231_456, holderId: f.users["anna"]!, holderLogin: "anna")])
            #expect(conflict?.message.contains("anna") == true)
            #expect(try await f.articles("boris").isEmpty)
            // Deltas: add one, remove one.
            let delta = try await f.store.commit(
                [SetChange(account: f.one, month: f.month, user: f.users["anna"]!, operation: .delta(add: [231_906_114], remove: [209_455_871]))],
                context: AssignmentFixture.context
            )
            #expect(delta[0].added == [231_906_114] && delta[0].removed == [209_455_871] && delta[0].unchanged == 1)
            #expect(try await f.articles("anna") == [178_231_456, 231_906_114])
            // An article moves between two users changed together.
            let move = try await f.store.commit(
                [
                    SetChange(account: f.one, month: f.month, user: f.users["anna"]!, operation: .replace([231_906_114])),
                    SetChange(account: f.one, month: f.month, user: f.users["boris"]!, operation: .replace([178_231_456])),
                ],
                context: AssignmentFixture.context
            )
            #expect(move.count == 2)
            #expect(try await f.articles("boris") == [178_231_456])
            // Bad input.
            await #expect(throws: AssignmentError.self) { try await f.set("anna", [-5]) }
            await #expect(throws: AssignmentError.self) {
                try await f.store.commit(
                    [SetChange(account: f.one, month: f.month, user: f.users["anna"]!, operation: .delta(add: [1], remove: [1]))],
                    context: AssignmentFixture.context
                )
            }
        }
    }

    @Test("an account with shared articles lets two managers hold one; without it the database itself refuses a second holder")
    func sharedArticles() async throws {
        try await AssignmentFixture.run { f in
            _ = try await f.set("anna", [178_231_456])
            // Plain SQL past the store is refused too (the statement trigger), naming the article.
            let sql = await #expect(throws: (any Error).self) {
                try await f.client.query(
                    "INSERT INTO assignments (account_id, month, nm_id, user_id) VALUES (\(f.one), \(f.month.firstDay)::date, 178231456, \(f.users["boris"]!))",
                    logger: TestRedis.logger
                )
            }
            #expect(String(reflecting: sql).contains("already has a manager"))
            let accounts = AccountStore(
                client: f.client,
                secrets: try SecretBox(keys: [("k", Array(repeating: 1, count: 32))]),
                logger: TestRedis.logger
            )
            var changes = AccountStore.Changes()
            changes.sharedArticles = true
            #expect(try await accounts.update(id: f.one, changes).sharedArticles)
            #expect(try await f.set("boris", [178_231_456]).added == [178_231_456])
            #expect(try await f.articles("anna") == [178_231_456])
            let table = try await f.store.table(account: f.one, month: f.month)
            #expect(table.total == 2)
            // Back to one manager per article: refused while an article has two.
            changes.sharedArticles = false
            let refused = await #expect(throws: StoreError.self) { try await accounts.update(id: f.one, changes) }
            #expect(refused?.message.contains("178231456") == true)
            _ = try await f.set("boris", [])
            #expect(try await accounts.update(id: f.one, changes).sharedArticles == false)
        }
    }

    @Test("an nmId must be in synced orders, sales or report rows within the lookback; force needs a comment and is audited")
    func syncedDataAndForce() async throws {
        try await AssignmentFixture.run { f in
            // Orders, sales and report rows each make an article known.
            #expect(try await f.set("anna", [178_231_456, 209_455_871, 231_906_114]).added.count == 3)
            for unknown: Int64 in [999_999_999, AssignmentFixture.stale, AssignmentFixture.knownTwo] {
                let error = await #expect(throws: AssignmentError.self) { try await f.set("boris", [unknown]) }
                #expect(error?.kind == .refused)
                #expect(error?.message.contains(String(unknown)) == true)
            }
            var forced = AssignmentFixture.context
            forced.force = true
            let noComment = await #expect(throws: AssignmentError.self) { try await f.set("boris", [999_999_999], context: forced) }
            #expect(noComment?.message.contains("comment") == true)
            forced.comment = "new card, first orders next week"
            let result = try await f.set("boris", [999_999_999, 300_000_001], context: forced)
            #expect(result.forced == [999_999_999])
            let audit = try await f.store.audit(AuditFilter(user: f.users["boris"]!))
            #expect(audit.first?.forced == [999_999_999] && audit.first?.comment == "new card, first orders next week")
            #expect(audit.first?.source == .cli && audit.first?.actor == "cli:test")
            let table = try await f.store.table(account: f.one, month: f.month)
            #expect(table.users.first { $0.login == "boris" }?.forced == [999_999_999])
        }
    }

    @Test("users in another account, disabled or unknown are refused; a month with no rows is empty, never another month")
    func usersAndMonths() async throws {
        try await AssignmentFixture.run { f in
            let other = await #expect(throws: AssignmentError.self) { try await f.set("vera", [178_231_456]) }
            #expect(other?.kind == .refused && other?.message.contains("vera") == true)
            await #expect(throws: AssignmentError.self) { try await f.set("gleb", [178_231_456]) }
            await #expect(throws: AssignmentError.self) {
                try await f.store.commit(
                    [SetChange(account: f.one, month: f.month, user: 999_999, operation: .replace([178_231_456]))],
                    context: AssignmentFixture.context
                )
            }
            _ = try await f.set("anna", [178_231_456], month: f.month.previous)
            #expect(try await f.articles("anna").isEmpty)
            #expect(try await f.store.currentArticles(user: f.users["anna"]!, account: f.one).isEmpty)
            #expect(try await f.articles("anna", month: f.month.previous) == [178_231_456])
            // The table lists every manager of the account, with or without articles, and no disabled one.
            let table = try await f.store.table(account: f.one, month: f.month.previous)
            #expect(table.users.map(\.login) == ["anna", "boris"])
            #expect(table.total == 1)
            await #expect(throws: AssignmentError.self) { try await f.store.table(account: 999, month: f.month) }
        }
    }

    @Test("copy the month before into this one: all users or one; users who left are skipped; conflicts refuse the copy")
    func copyMonth() async throws {
        try await AssignmentFixture.run { f in
            let last = f.month.previous
            _ = try await f.set("anna", [178_231_456, 209_455_871], month: last)
            _ = try await f.set("boris", [231_906_114], month: last)
            let preview = try await f.store.copyMonth(account: f.one, to: f.month, context: AssignmentFixture.context, dryRun: true)
            #expect(preview.results.count == 2)
            #expect(try await f.articles("anna").isEmpty)
            let copied = try await f.store.copyMonth(account: f.one, to: f.month, user: f.users["boris"]!, context: AssignmentFixture.context)
            #expect(copied.results.map(\.login) == ["boris"])
            #expect(try await f.articles("boris") == [231_906_114])
            #expect(try await f.articles("anna").isEmpty)
            // Dina, whom the copy leaves alone (no articles last month), holds one of Anna's: the copy is refused whole.
            _ = try await f.set("dina", [178_231_456])
            let refused = await #expect(throws: AssignmentError.self) {
                try await f.store.copyMonth(account: f.one, to: f.month, context: AssignmentFixture.context)
            }
            #expect(refused?.kind == .conflict && refused?.conflicts.first?.holderLogin == "dina")
            #expect(try await f.articles("anna").isEmpty)
            _ = try await f.set("dina", [])
            _ = try await f.store.copyMonth(account: f.one, to: f.month, context: AssignmentFixture.context)
            #expect(try await f.articles("anna") == [178_231_456, 209_455_871])
            let audit = try await f.store.audit(AuditFilter(account: f.one, month: f.month, source: .copy))
            #expect(audit.count == 2 && audit.allSatisfy { $0.comment == "copied from \(last)" })
            // Boris moved to account two: the next copy skips him.
            try await f.client.query("UPDATE users SET account_id = \(f.two) WHERE login = 'boris'", logger: TestRedis.logger)
            let next = try await f.store.copyMonth(
                account: f.one,
                from: last,
                to: AssignmentMonth(year: f.month.year + 1, month: 1)!,
                context: AssignmentFixture.context
            )
            #expect(next.skipped == ["boris"])
            let conflicts = try await f.store.conflicts(account: f.one, month: f.month)
            #expect(conflicts.map(\.reason) == [.holderMovedAccount] && conflicts.first?.nmId == 231_906_114)
            await #expect(throws: AssignmentError.self) {
                try await f.store.copyMonth(account: f.one, from: f.month, to: f.month, context: AssignmentFixture.context)
            }
        }
    }

    @Test("the audit lists every change with who, when, what, source and comment, filtered")
    func auditFilters() async throws {
        try await AssignmentFixture.run { f in
            _ = try await f.set("anna", [178_231_456])
            _ = try await f.set("anna", [178_231_456, 209_455_871])
            _ = try await f.set("anna", [178_231_456, 209_455_871])  // no change: no entry
            _ = try await f.set("boris", [231_906_114], context: ChangeContext(actorId: f.users["dina"], actor: "dina", source: .api, comment: "q4"))
            let all = try await f.store.audit(AuditFilter(account: f.one))
            #expect(all.count == 3)
            #expect(all.map(\.id) == all.map(\.id).sorted(by: >))
            #expect(try await f.store.audit(AuditFilter(user: f.users["anna"]!)).count == 2)
            #expect(try await f.store.audit(AuditFilter(actor: "dina")).map(\.userLogin) == ["boris"])
            #expect(try await f.store.audit(AuditFilter(source: .api)).first?.comment == "q4")
            #expect(try await f.store.audit(AuditFilter(nmId: 209_455_871)).count == 1)
            #expect(try await f.store.audit(AuditFilter(account: f.two)).isEmpty)
            let page = try await f.store.audit(AuditFilter(limit: 1))
            #expect(try await f.store.audit(AuditFilter(before: page[0].id)).count == 2)
            await #expect(throws: AssignmentError.self) { try await f.store.audit(AuditFilter(limit: 0)) }
            // The API's database role may add to the audit and mark it published, never rewrite or delete it.
            #expect(
                try await f.count(
                    "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'joycity_api' AND table_name = 'assignment_audit' AND privilege_type IN ('DELETE', 'TRUNCATE')"
                ) == 0
            )
        }
    }

    @Test("every change publishes on the assignments channel within 1 s and enqueues one debounced cache.invalidate per account and month")
    func invalidation() async throws {
        try await AssignmentFixture.run { f in
            let channel = AssignmentEvents.channel(prefix: f.queue.configuration.prefix)
            let received = Inbox()
            let subscriber = RedisSubscriber(redis: f.queue.redis, channels: [channel], logger: TestRedis.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await subscriber.run { _, message in
                        if let change = try? JSONCoding.decode(AssignmentChange.self, from: message) {
                            received.items.withLock { $0.append((Date(), change)) }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))  // subscribed
                let committed = Date()
                _ = try await f.set("anna", [178_231_456])
                #expect(await eventually(timeout: .seconds(1)) { received.items.withLock { !$0.isEmpty } })
                let first = try #require(received.items.withLock { $0.first })
                #expect(first.0.timeIntervalSince(committed) < 1)
                #expect(first.1.account == f.one && first.1.month == f.month && first.1.users == [f.users["anna"]!])
                // A burst of edits: one cache.invalidate job waiting for the last.
                for round in 0..<5 { _ = try await f.set("anna", [178_231_456, 300_000_000 + Int64(round)]) }
                let delayed = try await f.queue.redis.send(RedisCommand("ZCARD", f.queue.keys.delayed(f.queue.configuration.defaultQueue))).int ?? -1
                #expect(delayed == 1)
                #expect(try await f.count("SELECT count(*) FROM assignment_audit WHERE published_at IS NULL") == 0)
                group.cancelAll()
            }
        }
    }

    @Test("a watcher (what a proxy replica runs) hears each change, and re-reads every set after its connection drops: no stale set survives")
    func watcherResyncsOnReconnect() async throws {
        try await AssignmentFixture.run { f in
            let cache = ArticleCache()
            let anna = f.users["anna"]!
            let refill: @Sendable () async -> Void = {
                let articles = (try? await f.store.currentArticles(user: anna, account: f.one)) ?? []
                cache.state.withLock {
                    $0.articles = articles
                    $0.resyncs += 1
                }
            }
            let watcher = AssignmentWatcher(
                redis: f.queue.redis,
                prefix: f.queue.configuration.prefix,
                logger: TestRedis.logger,
                onResync: refill,
                onChange: { change in
                    if change.users.contains(anna) { await refill() }
                }
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watcher.run() }
                #expect(await eventually(timeout: .seconds(5)) { cache.state.withLock { $0.resyncs } == 1 }, "the first subscription reads the sets")
                _ = try await f.set("anna", [178_231_456])
                #expect(await eventually(timeout: .seconds(1)) { cache.state.withLock { $0.articles } == [178_231_456] })
                // The subscriber's connection drops; a change lands while it is away; it must not stay stale.
                _ = try await f.queue.redis.send(RedisCommand("CLIENT", "KILL", "TYPE", "pubsub"))
                _ = try await f.set("anna", [209_455_871])
                #expect(await eventually(timeout: .seconds(10)) { cache.state.withLock { $0.resyncs } >= 2 }, "a reconnect re-reads")
                #expect(await eventually(timeout: .seconds(5)) { cache.state.withLock { $0.articles } == [209_455_871] })
                group.cancelAll()
            }
        }
    }

    @Test("a change committed while Redis is unreachable stays in the outbox and is announced once it can be")
    func outboxRetries() async throws {
        try await AssignmentFixture.run { f in
            let deadQueue = StreamQueue(
                redis: RedisClient(
                    configuration: .init(url: RedisURL(port: 1), connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(200)),
                    logger: TestRedis.logger
                ),
                configuration: f.queue.configuration
            )
            let offline = AssignmentStore(
                client: f.client,
                configuration: f.store.configuration,
                events: AssignmentEvents(client: f.client, queue: deadQueue, debounce: .milliseconds(100), logger: TestRedis.logger),
                logger: TestRedis.logger
            )
            _ = try await offline.commit(
                [SetChange(account: f.one, month: f.month, user: f.users["anna"]!, operation: .replace([178_231_456]))],
                context: AssignmentFixture.context
            )
            #expect(try await f.articles("anna") == [178_231_456])
            #expect(try await f.count("SELECT count(*) FROM assignment_audit WHERE published_at IS NULL") == 1)
            #expect(try await f.events.drain() == 1)
            #expect(try await f.count("SELECT count(*) FROM assignment_audit WHERE published_at IS NULL") == 0)
            await deadQueue.redis.shutdown()
        }
    }

    @Test("migration 8 moves the flat per-user sets into the current month; a doubled article goes to the lower user id, the old table stays")
    func migratesFlatSets() async throws {
        try await TestPostgres.withDatabase(migrated: false) { client, _ in
            let logger = TestRedis.logger
            _ = try await Migrator(client: client, migrations: Array(Migration.all.prefix(7)), logger: logger).migrate()
            let account = try await AssignmentFixture.insertAccount(client, name: "A", inn: "7701234567")
            var ids: [Int64] = []
            for login in ["ann", "bob"] {
                let rows = try await client.query(
                    "INSERT INTO users (login, name, password_hash, account_id) VALUES (\(login), \(login), 'x', \(account)) RETURNING id",
                    logger: logger
                )
                ids.append(try await rows.decode(Int64.self).first { _ in true }!)
            }
            try await client.query(
                "INSERT INTO article_assignments (user_id, account_id, nm_id) VALUES (\(ids[0]), \(account), 1), (\(ids[0]), \(account), 2), (\(ids[1]), \(account), 2), (\(ids[1]), \(account), 3)",
                logger: logger
            )
            _ = try await Migrator(client: client, logger: logger).migrate()
            let store = AssignmentStore(client: client, configuration: AssignmentConfiguration(), events: nil, logger: logger)
            #expect(try await store.currentArticles(user: ids[0], account: account) == [1, 2])
            #expect(try await store.currentArticles(user: ids[1], account: account) == [3])
            let kept = try await client.query("SELECT count(*) FROM article_assignments_before_months", logger: logger)
            #expect(try await kept.decode(Int.self).first { _ in true } == 4)
            #expect(try await store.audit(AuditFilter(source: .migration)).count == 2)
        }
    }
}

/// What a subscriber received, shared with the test.
final class Inbox: Sendable {
    let items = Mutex<[(Date, AssignmentChange)]>([])
}

/// A proxy replica's cached set, as the watcher test keeps it.
final class ArticleCache: Sendable {
    struct State {
        var articles: [Int64] = []
        var resyncs = 0
    }
    let state = Mutex(State())
}
