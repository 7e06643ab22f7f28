import FleetStore
import Foundation
import PostgresNIO

/// One audited change of one user's set.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actorId: Int64?
    public var actor: String
    public var accountId: Int64
    public var month: AssignmentMonth
    public var userId: Int64?
    public var userLogin: String?
    public var added: [Int64]
    public var removed: [Int64]
    public var forced: [Int64]
    public var source: AssignmentSource
    public var comment: String?
}

/// Which audit entries to list; every field narrows, `nil` leaves it open.
public struct AuditFilter: Sendable, Equatable {
    public var account: Int64?
    public var month: AssignmentMonth?
    public var user: Int64?
    /// The actor's login (or `cli:<name>`).
    public var actor: String?
    public var source: AssignmentSource?
    /// Only entries that added or removed this nmId.
    public var nmId: Int64?
    /// Entries older than this id (paging: pass the last id of the previous page).
    public var before: Int64?
    /// At most this many, newest first (1–1000).
    public var limit: Int

    public init(
        account: Int64? = nil,
        month: AssignmentMonth? = nil,
        user: Int64? = nil,
        actor: String? = nil,
        source: AssignmentSource? = nil,
        nmId: Int64? = nil,
        before: Int64? = nil,
        limit: Int = 100
    ) {
        self.account = account
        self.month = month
        self.user = user
        self.actor = actor
        self.source = source
        self.nmId = nmId
        self.before = before
        self.limit = limit
    }
}

extension AssignmentStore {
    /// Audit entries matching `filter`, newest first.
    public func audit(_ filter: AuditFilter) async throws -> [AuditEntry] {
        guard (1...1000).contains(filter.limit) else { throw AssignmentError(.invalid, "limit is 1 to 1000") }
        let query: PostgresQuery = """
            SELECT id, at, actor_id, actor, account_id, to_char(month, 'YYYY-MM'), user_id, user_login, added, removed, forced, source, comment
            FROM assignment_audit
            WHERE (\(filter.account)::bigint IS NULL OR account_id = \(filter.account))
              AND (\(filter.month?.firstDay)::date IS NULL OR month = \(filter.month?.firstDay)::date)
              AND (\(filter.user)::bigint IS NULL OR user_id = \(filter.user))
              AND (\(filter.actor)::text IS NULL OR actor = \(filter.actor))
              AND (\(filter.source?.rawValue)::text IS NULL OR source = \(filter.source?.rawValue))
              AND (\(filter.nmId)::bigint IS NULL OR \(filter.nmId) = ANY(added) OR \(filter.nmId) = ANY(removed))
              AND (\(filter.before)::bigint IS NULL OR id < \(filter.before))
            ORDER BY id DESC LIMIT \(filter.limit)
            """
        var entries: [AuditEntry] = []
        do {
            let rows = try await client.query(query, logger: logger)
            for try await row in rows {
                let (id, at, actorId, actor, account, month, user, login, added, removed, forced, source, comment) = try row.decode(
                    (Int64, Date, Int64?, String, Int64, String, Int64?, String?, [Int64], [Int64], [Int64], String, String?).self
                )
                entries.append(
                    AuditEntry(
                        id: id,
                        at: at,
                        actorId: actorId,
                        actor: actor,
                        accountId: account,
                        month: AssignmentMonth(month)!,
                        userId: user,
                        userLogin: login,
                        added: added,
                        removed: removed,
                        forced: forced,
                        source: AssignmentSource(rawValue: source) ?? .api,
                        comment: comment
                    )
                )
            }
        } catch {
            throw StoreError.statement(error)
        }
        return entries
    }

    /// Copies `from`'s sets (default: the month before `to`) into `to`, for every user who held articles in `from`
    /// and still works in the account, or for `user` only: each copied user's set in `to` becomes their `from` set.
    /// Articles were checked against synced data when first assigned, so they are not checked again; forced ones
    /// stay marked forced.
    /// - Returns: what changed per user, and the logins skipped because they left the account or were disabled.
    public func copyMonth(
        account: Int64,
        from: AssignmentMonth? = nil,
        to: AssignmentMonth,
        user: Int64? = nil,
        context: ChangeContext,
        dryRun: Bool = false
    ) async throws -> (results: [ChangeResult], skipped: [String]) {
        let source = from ?? to.previous
        guard source != to else { throw AssignmentError(.invalid, "copying \(to) onto itself changes nothing; name another month") }
        try await requireAccount(account)
        var sets: [Int64: Set<Int64>] = [:]
        var skipped: [String] = []
        do {
            let rows = try await client.query(
                """
                SELECT a.user_id, u.login, u.account_id = a.account_id AND NOT u.disabled, array_agg(a.nm_id)
                FROM assignments a JOIN users u ON u.id = a.user_id
                WHERE a.account_id = \(account) AND a.month = \(source.firstDay)::date AND (\(user)::bigint IS NULL OR a.user_id = \(user))
                GROUP BY a.user_id, u.login, u.account_id, a.account_id, u.disabled
                """,
                logger: logger
            )
            for try await (id, login, eligible, nmIds) in rows.decode((Int64, String, Bool?, [Int64]).self) {
                if eligible == true { sets[id] = Set(nmIds) } else { skipped.append(login) }
            }
        } catch {
            throw StoreError.statement(error)
        }
        if let user, sets[user] == nil, !skipped.isEmpty {
            throw AssignmentError(.refused, "user \(user) no longer works in account \(account) or is disabled; nothing was copied")
        }
        let changes = sets.keys.sorted().map { SetChange(account: account, month: to, user: $0, operation: .replace(sets[$0]!)) }
        var copyContext = context
        copyContext.source = .copy
        copyContext.comment = context.comment ?? "copied from \(source)"
        // Forced articles of the source month stay accepted: they were justified once, with a comment.
        copyContext.force = true
        let results = try await commit(changes, context: copyContext, dryRun: dryRun)
        return (results, skipped.sorted())
    }
}
