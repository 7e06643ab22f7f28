import FleetStore
import Foundation
import Logging
import PostgresNIO

/// Where a change came from, as the audit records it.
public enum AssignmentSource: String, Codable, Sendable, CaseIterable {
    case api
    case `import`
    case copy
    case cli
    case migration
}

/// Who changes assignments, and how: kept in the audit with every entry.
public struct ChangeContext: Sendable {
    /// The acting user's id (nil for the CLI without `--as`).
    public var actorId: Int64?
    /// The actor as the audit shows them: a login, or `cli:<name>`.
    public var actor: String
    public var source: AssignmentSource
    /// Accept articles that are not in the account's synced data (needs a ``comment``).
    public var force: Bool
    public var comment: String?

    /// - Throws: ``AssignmentError`` `invalid` when ``force`` comes without a comment.
    func requireCommentIfForced() throws {
        if force, (comment ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw AssignmentError(.invalid, "forcing articles that are not in synced data needs a comment saying why")
        }
    }

    /// Creates a context.
    public init(actorId: Int64?, actor: String, source: AssignmentSource, force: Bool = false, comment: String? = nil) {
        self.actorId = actorId
        self.actor = actor
        self.source = source
        self.force = force
        self.comment = comment
    }
}

/// One user's set in one account and month: replaced whole, or changed by deltas.
public struct SetChange: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        /// The user's set becomes exactly these.
        case replace(Set<Int64>)
        /// These are added and these removed (an nmId in both is an error).
        case delta(add: Set<Int64>, remove: Set<Int64>)
    }
    public var account: Int64
    public var month: AssignmentMonth
    public var user: Int64
    public var operation: Operation

    public init(account: Int64, month: AssignmentMonth, user: Int64, operation: Operation) {
        self.account = account
        self.month = month
        self.user = user
        self.operation = operation
    }
}

/// What a change did (or, in a dry run, would do) to one user's set.
public struct ChangeResult: Codable, Sendable, Equatable {
    public var accountId: Int64
    public var month: AssignmentMonth
    public var userId: Int64
    public var login: String
    public var added: [Int64]
    public var removed: [Int64]
    /// Articles the user keeps.
    public var unchanged: Int
    /// Of ``added``, the ones accepted with `force`.
    public var forced: [Int64]
    /// The user's set after the change.
    public var nmIds: [Int64]
}

extension AssignmentStore {
    /// The most articles one user may hold in one month.
    public static let maxArticlesPerUser = 100_000

    /// Applies `changes` in one transaction, or none of them: locks each (account, month) in order, checks that
    /// every user works in that account and is enabled, that no article is held by a user the changes leave alone
    /// (unless the account has shared articles),
    /// that added articles appear in synced data (or `force` with a comment), then writes and audits.
    /// With `dryRun` it checks and reports, then rolls back.
    /// - Throws: ``AssignmentError`` (`invalid`, `notFound`, `conflict`); ``StoreError`` when PostgreSQL fails.
    @discardableResult
    public func commit(_ changes: [SetChange], context: ChangeContext, dryRun: Bool = false) async throws -> [ChangeResult] {
        guard !changes.isEmpty else { return [] }
        try context.requireCommentIfForced()
        for change in changes {
            switch change.operation {
            case .replace(let set):
                try Self.checkArticles(set)
            case .delta(let add, let remove):
                try Self.checkArticles(add)
                try Self.checkArticles(remove)
                let both = add.intersection(remove)
                guard both.isEmpty else {
                    throw AssignmentError(.invalid, "nmIds \(both.sorted().map(String.init).joined(separator: ", ")) are both added and removed")
                }
            }
        }
        let groups = Dictionary(grouping: changes) { ScopeKey(account: $0.account, month: $0.month) }
        for (scope, list) in groups {
            let users = list.map(\.user)
            guard Set(users).count == users.count else {
                throw AssignmentError(
                    .invalid,
                    "user \(users.first { u in users.filter { $0 == u }.count > 1 }!) appears twice for account \(scope.account), \(scope.month)"
                )
            }
        }
        var results: [ChangeResult] = []
        do {
            try await client.withTransaction(logger: logger) { connection in
                for scope in groups.keys.sorted() {
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(hashtextextended(\("joycity.assignments:\(scope.account):\(scope.month)"), 0))",
                        logger: logger
                    )
                }
                for scope in groups.keys.sorted() {
                    results += try await apply(groups[scope]!, scope: scope, context: context, on: connection)
                }
                if dryRun { throw DryRunRollback() }
            }
        } catch is DryRunRollback {
            return results
        } catch let error as PostgresTransactionError where error.closureError is DryRunRollback {
            return results
        } catch let error as PostgresTransactionError where error.closureError is AssignmentError {
            throw error.closureError as! AssignmentError
        } catch let error as AssignmentError {
            throw error
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.statement(error)
        }
        if let events { await events.drainLogging() }
        return results
    }

    private struct DryRunRollback: Error {}

    struct ScopeKey: Hashable, Comparable {
        var account: Int64
        var month: AssignmentMonth
        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.account, lhs.month) < (rhs.account, rhs.month) }
    }

    static func checkArticles(_ set: Set<Int64>) throws {
        if let bad = set.first(where: { $0 <= 0 }) { throw AssignmentError(.invalid, "nmId \(bad) is not a WB article number (a positive integer)") }
        guard set.count <= maxArticlesPerUser else {
            throw AssignmentError(.invalid, "\(set.count) articles for one user is more than the \(maxArticlesPerUser) allowed")
        }
    }

    /// Checks and writes the changes of one (account, month), under its lock.
    private func apply(
        _ changes: [SetChange],
        scope: ScopeKey,
        context: ChangeContext,
        on connection: PostgresConnection
    ) async throws -> [ChangeResult] {
        let accountRows = try await connection.query("SELECT shared_articles FROM seller_accounts WHERE id = \(scope.account)", logger: logger)
        guard let shared = try await accountRows.decode(Bool.self).first(where: { _ in true }) else {
            throw AssignmentError(.notFound, "seller account \(scope.account) does not exist; `joycity accounts list` shows them")
        }
        let userIDs = changes.map(\.user)
        var logins: [Int64: String] = [:]
        let userRows = try await connection.query(
            "SELECT id, login, account_id, disabled FROM users WHERE id = ANY(\(userIDs)::bigint[])",
            logger: logger
        )
        var problems: [String] = []
        for try await (id, login, account, disabled) in userRows.decode((Int64, String, Int64?, Bool).self) {
            logins[id] = login
            if account != scope.account {
                problems.append("user \(login) works in \(account.map { "account \($0)" } ?? "no account"), not account \(scope.account)")
            } else if disabled {
                problems.append("user \(login) is disabled")
            }
        }
        if let missing = userIDs.first(where: { logins[$0] == nil }) {
            throw AssignmentError(.notFound, "user \(missing) does not exist")
        }
        guard problems.isEmpty else { throw AssignmentError(.refused, problems.joined(separator: "; ")) }

        var mentioned = Set<Int64>()
        for change in changes {
            switch change.operation {
            case .replace(let set): mentioned.formUnion(set)
            case .delta(let add, _): mentioned.formUnion(add)
            }
        }
        // Current holders of every mentioned article, and every article of the users changed.
        var current: [Int64: Set<Int64>] = [:]
        var holders: [Int64: (user: Int64, login: String)] = [:]
        let rows = try await connection.query(
            """
            SELECT a.nm_id, a.user_id, u.login FROM assignments a JOIN users u ON u.id = a.user_id
            WHERE a.account_id = \(scope.account) AND a.month = \(scope.month.firstDay)::date
              AND (a.user_id = ANY(\(userIDs)::bigint[]) OR a.nm_id = ANY(\(Array(mentioned))::bigint[]))
            """,
            logger: logger
        )
        for try await (nm, user, login) in rows.decode((Int64, Int64, String).self) {
            holders[nm] = (user, login)
            if userIDs.contains(user) { current[user, default: []].insert(nm) }
        }
        // The sets after the change.
        var after: [Int64: Set<Int64>] = [:]
        for change in changes {
            let before = current[change.user] ?? []
            switch change.operation {
            case .replace(let set): after[change.user] = set
            case .delta(let add, let remove): after[change.user] = before.union(add).subtracting(remove)
            }
            try Self.checkArticles(after[change.user]!)
        }
        // One article, one user (unless the account shares articles): within the changes, and against holders the
        // changes leave alone.
        var claimedBy: [Int64: Int64] = [:]
        var conflicts: [ArticleConflict] = []
        for user in userIDs where !shared {
            for nm in after[user]! {
                if let other = claimedBy[nm] {
                    conflicts.append(ArticleConflict(nmId: nm, holderId: other, holderLogin: logins[other] ?? ""))
                    continue
                }
                claimedBy[nm] = user
                if let holder = holders[nm], holder.user != user, !userIDs.contains(holder.user) {
                    conflicts.append(ArticleConflict(nmId: nm, holderId: holder.user, holderLogin: holder.login))
                }
            }
        }
        if !conflicts.isEmpty {
            let list = conflicts.prefix(20).map { "\($0.nmId) (held by \($0.holderLogin))" }.joined(separator: ", ")
            throw AssignmentError(
                .conflict,
                "\(conflicts.count) article(s) already belong to another manager of account \(scope.account) in \(scope.month): \(list)\(conflicts.count > 20 ? ", …" : ""); remove them from that manager first",
                conflicts: conflicts
            )
        }
        // Added articles must be in synced data, unless forced.
        var added: [Int64: Set<Int64>] = [:]
        for user in userIDs { added[user] = after[user]!.subtracting(current[user] ?? []) }
        let allAdded = added.values.reduce(into: Set<Int64>()) { $0.formUnion($1) }
        let known = try await knownArticles(Array(allAdded), account: scope.account, on: connection)
        let unknown = allAdded.subtracting(known)
        if !unknown.isEmpty, !context.force {
            let list = unknown.sorted().prefix(20).map(String.init).joined(separator: ", ")
            throw AssignmentError(
                .refused,
                "nmId \(list)\(unknown.count > 20 ? ", …" : "") of account \(scope.account) appear in none of its synced orders, sales or report rows of the last \(configuration.lookback.components.seconds / 86_400) days; check the numbers, or force them with a comment (ADMIN or HEAD_OF_SALES)"
            )
        }
        // Write: every removal first (an article may move between two changed users), then the additions.
        var results: [ChangeResult] = []
        var removedOf: [Int64: Set<Int64>] = [:]
        for user in userIDs {
            let removed = (current[user] ?? []).subtracting(after[user]!)
            removedOf[user] = removed
            if !removed.isEmpty {
                try await connection.query(
                    """
                    DELETE FROM assignments WHERE account_id = \(scope.account) AND month = \(scope.month.firstDay)::date
                      AND user_id = \(user) AND nm_id = ANY(\(Array(removed))::bigint[])
                    """,
                    logger: logger
                )
            }
        }
        for user in userIDs {
            let new = added[user]!
            let forced = new.intersection(unknown)
            if !new.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO assignments (account_id, month, nm_id, user_id, forced)
                    SELECT \(scope.account), \(scope.month.firstDay)::date, n, \(user), n = ANY(\(Array(forced))::bigint[])
                    FROM unnest(\(Array(new))::bigint[]) AS n
                    """,
                    logger: logger
                )
            }
            let removed = removedOf[user]!
            let result = ChangeResult(
                accountId: scope.account,
                month: scope.month,
                userId: user,
                login: logins[user]!,
                added: new.sorted(),
                removed: removed.sorted(),
                unchanged: (current[user] ?? []).intersection(after[user]!).count,
                forced: forced.sorted(),
                nmIds: after[user]!.sorted()
            )
            results.append(result)
            if !new.isEmpty || !removed.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO assignment_audit (actor_id, actor, account_id, month, user_id, user_login, added, removed, forced, source, comment)
                    VALUES (\(context.actorId), \(context.actor), \(scope.account), \(scope.month.firstDay)::date, \(user), \(result.login),
                      \(result.added)::bigint[], \(result.removed)::bigint[], \(result.forced)::bigint[], \(context.source.rawValue), \(context.comment))
                    """,
                    logger: logger
                )
            }
        }
        return results
    }
}
