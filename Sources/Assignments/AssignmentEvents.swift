import FleetCore
import FleetStore
import Foundation
import JobCatalog
import Logging
import PostgresNIO
import Queue
import ServiceLifecycle

/// What every proxy edge replica hears when assignments change, on ``AssignmentEvents/channel(prefix:)``.
public struct AssignmentChange: Codable, Sendable, Equatable {
    public var account: Int64
    public var month: AssignmentMonth
    /// Users whose sets changed.
    public var users: [Int64]
    /// The audit entries announced.
    public var audit: [Int64]
}

/// Announces committed assignment changes: the audit entries no one has published yet are the outbox. Draining takes
/// them (`FOR UPDATE SKIP LOCKED`, so replicas share the work), publishes one ``AssignmentChange`` per account and
/// month on Redis pub/sub, enqueues a debounced ``CacheInvalidateJob`` for each, and marks them published in the
/// same transaction — so a change is announced at least once even when Redis was down at commit time: the
/// ``AssignmentOutboxService`` of some API process retries.
public struct AssignmentEvents: Sendable {
    public let client: PostgresClient
    public let queue: StreamQueue
    public let debounce: Duration
    let logger: Logger

    /// The pub/sub channel: `<QUEUE_PREFIX>:assignments`.
    public static func channel(prefix: String) -> String { "\(prefix):assignments" }

    /// Creates the publisher.
    public init(client: PostgresClient, queue: StreamQueue, debounce: Duration, logger: Logger) {
        self.client = client
        self.queue = queue
        self.debounce = debounce
        self.logger = logger
    }

    /// Publishes every unpublished audit entry (in batches of 500).
    /// - Returns: how many entries were published.
    /// - Throws: ``StoreError`` or Redis errors; what was not published stays in the outbox.
    @discardableResult
    public func drain() async throws -> Int {
        var total = 0
        while true {
            let published = try await drainBatch(limit: 500)
            total += published
            if published < 500 { return total }
        }
    }

    /// ``drain()``, logging a failure instead of throwing it (the outbox service retries).
    public func drainLogging() async {
        do {
            try await drain()
        } catch {
            logger.warning("assignment changes not announced yet; the outbox retries", metadata: ["error": "\(error)"])
        }
    }

    private func drainBatch(limit: Int) async throws -> Int {
        let channel = Self.channel(prefix: queue.configuration.prefix)
        let debounceMs = debounce.milliseconds
        return try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT id, account_id, to_char(month, 'YYYY-MM'), user_id FROM assignment_audit
                WHERE published_at IS NULL ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """,
                logger: logger
            )
            var changes: [String: AssignmentChange] = [:]
            var ids: [Int64] = []
            for try await (id, account, month, user) in rows.decode((Int64, Int64, String, Int64?).self) {
                ids.append(id)
                guard let month = AssignmentMonth(month) else { continue }
                let key = "\(account):\(month)"
                var change = changes[key] ?? AssignmentChange(account: account, month: month, users: [], audit: [])
                if let user, !change.users.contains(user) { change.users.append(user) }
                change.audit.append(id)
                changes[key] = change
            }
            guard !ids.isEmpty else { return 0 }
            for change in changes.values.sorted(by: { ($0.account, $0.month) < ($1.account, $1.month) }) {
                _ = try await queue.redis.send(RedisCommand("PUBLISH", channel, try JSONCoding.encode(change))).throwingError()
                _ = try await queue.enqueue(
                    CacheInvalidateJob.request(account: change.account, month: change.month.description, debounceMs: debounceMs)
                )
            }
            try await connection.query("UPDATE assignment_audit SET published_at = now() WHERE id = ANY(\(ids)::bigint[])", logger: logger)
            return ids.count
        }
    }
}

/// Retries the announcement of changes whose publication failed (Redis was down at commit time): drains the outbox
/// every `interval` until graceful shutdown. Run by every API process; replicas share the work.
public struct AssignmentOutboxService: Service {
    public let events: AssignmentEvents
    public let interval: Duration

    /// Creates the service.
    public init(events: AssignmentEvents, interval: Duration = .seconds(2)) {
        self.events = events
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await events.drainLogging()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
