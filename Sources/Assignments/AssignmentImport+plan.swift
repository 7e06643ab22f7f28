import FleetStore
import Foundation
import PostgresNIO

extension AssignmentImport {
    /// What an import would do: the changes of the rows without problems, and per user what they would add, remove
    /// and keep.
    struct Plan {
        var changes: [SetChange] = []
        var preview: [ChangeResult] = []
    }

    /// Resolves users and accounts, finds every row problem, and returns the changes of the rows without one.
    func plan(_ rows: [ParsedRow], permission: Permission, problems: inout [ImportProblem], force: Bool) async throws -> Plan {
        let logger = store.logger
        let client = store.client
        // Users by login or e-mail, accounts by INN or id.
        let keys = Array(Set(rows.map { $0.user.lowercased() }))
        var users: [String: ImportUser] = [:]
        var disabled: Set<Int64> = []
        var accounts: [String: Int64] = [:]
        var sharing: Set<Int64> = []
        do {
            let userRows = try await client.query(
                """
                SELECT u.id, u.login, lower(coalesce(u.email, '')), u.account_id, u.disabled,
                       coalesce(array_agg(r.role) FILTER (WHERE r.role IS NOT NULL), '{}')
                FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
                WHERE u.login = ANY(\(keys)::text[]) OR lower(u.email) = ANY(\(keys)::text[])
                GROUP BY u.id
                """,
                logger: logger
            )
            for try await (id, login, email, account, isDisabled, roles) in userRows.decode((Int64, String, String, Int64?, Bool, [String]).self) {
                let user = ImportUser(id: id, login: login, roles: roles, accountId: account)
                users[login] = user
                if !email.isEmpty { users[email] = user }
                if isDisabled { disabled.insert(id) }
            }
            let accountKeys = Array(Set(rows.map(\.account)))
            let ids = accountKeys.compactMap { $0.count < 10 ? Int64($0) : nil }
            let accountRows = try await client.query(
                "SELECT id, inn, shared_articles FROM seller_accounts WHERE inn = ANY(\(accountKeys)::text[]) OR id = ANY(\(ids)::bigint[])",
                logger: logger
            )
            for try await (id, inn, shared) in accountRows.decode((Int64, String, Bool).self) {
                accounts[inn] = id
                accounts[String(id)] = id
                if shared { sharing.insert(id) }
            }
        } catch {
            throw StoreError.statement(error)
        }

        // Row by row: who, where, and one claim per article and month.
        struct Claim {
            var row: Int
            var user: Int64
        }
        var logins: [Int64: String] = [:]
        for user in users.values { logins[user.id] = user.login }
        var current: [AssignmentStore.ScopeKey: [Int64: Set<Int64>]] = [:]
        var unknownOf: [AssignmentStore.ScopeKey: Set<Int64>] = [:]
        var claims: [AssignmentStore.ScopeKey: [Int64: Claim]] = [:]
        var sets: [AssignmentStore.ScopeKey: [Int64: Set<Int64>]] = [:]
        struct SharedClaim: Hashable {
            var scope: AssignmentStore.ScopeKey
            var nmId: Int64
            var user: Int64
        }
        var sharedRows: [SharedClaim: Int] = [:]
        var rowsReported = Set<Int>()  // a list cell makes several parsed rows of one row: its problems once
        func rowProblem(_ problem: ImportProblem) {
            if rowsReported.insert(problem.row).inserted { problems.append(problem) }
        }
        for row in rows {
            guard let user = users[row.user.lowercased()] else {
                rowProblem(ImportProblem(row: row.row, kind: .unknownUser, message: "no user has the login or e-mail \"\(row.user)\""))
                continue
            }
            guard let account = accounts[row.account] else {
                rowProblem(ImportProblem(row: row.row, kind: .unknownAccount, message: "no seller account has the INN or id \"\(row.account)\""))
                continue
            }
            guard user.accountId == account else {
                let place = user.accountId.map { "account \($0)" } ?? "no account"
                rowProblem(
                    ImportProblem(
                        row: row.row,
                        kind: .userInOtherAccount,
                        message: "user \(user.login) works in \(place), not in account \(account) (\(row.account))"
                    )
                )
                continue
            }
            guard !disabled.contains(user.id) else {
                rowProblem(ImportProblem(row: row.row, kind: .userDisabled, message: "user \(user.login) is disabled"))
                continue
            }
            if let reason = permission(user) {
                rowProblem(ImportProblem(row: row.row, kind: .notPermitted, message: reason))
                continue
            }
            let scope = AssignmentStore.ScopeKey(account: account, month: row.month)
            let nm = row.nmId
            if sharing.contains(account) {
                // Several managers may hold one article here: only the same user twice is a problem.
                let key = SharedClaim(scope: scope, nmId: nm, user: user.id)
                if let earlier = sharedRows[key] {
                    problems.append(
                        ImportProblem(
                            row: row.row,
                            kind: .duplicateRow,
                            message: "nmId \(nm) for \(user.login) in \(row.month) is already on row \(earlier)",
                            nmId: nm,
                            otherRow: earlier
                        )
                    )
                    continue
                }
                sharedRows[key] = row.row
                if claims[scope]?[nm] == nil { claims[scope, default: [:]][nm] = Claim(row: row.row, user: user.id) }
                sets[scope, default: [:]][user.id, default: []].insert(nm)
                continue
            }
            if let earlier = claims[scope]?[nm] {
                if earlier.user == user.id {
                    problems.append(
                        ImportProblem(
                            row: row.row,
                            kind: .duplicateRow,
                            message: "nmId \(nm) for \(user.login) in \(row.month) is already on row \(earlier.row)",
                            nmId: nm,
                            otherRow: earlier.row
                        )
                    )
                } else {
                    problems.append(
                        ImportProblem(
                            row: row.row,
                            kind: .claimedByTwoRows,
                            message:
                                "nmId \(nm) in \(row.month) is given to \(user.login) here and to another user on row \(earlier.row); an article has one manager",
                            nmId: nm,
                            otherRow: earlier.row
                        )
                    )
                }
                continue
            }
            claims[scope, default: [:]][nm] = Claim(row: row.row, user: user.id)
            sets[scope, default: [:]][user.id, default: []].insert(nm)
        }

        // Holders the file leaves alone, and articles not in synced data.
        for (scope, bySet) in sets {
            let nmIds = Array(claims[scope]?.keys.map { $0 } ?? [])
            guard !nmIds.isEmpty else { continue }
            let targets = Array(bySet.keys)
            do {
                let rows = try await client.query(
                    """
                    SELECT a.nm_id, u.login FROM assignments a JOIN users u ON u.id = a.user_id
                    WHERE a.account_id = \(scope.account) AND a.month = \(scope.month.firstDay)::date
                      AND a.nm_id = ANY(\(nmIds)::bigint[]) AND NOT (a.user_id = ANY(\(targets)::bigint[]))
                    """,
                    logger: logger
                )
                for try await (nm, holder) in rows.decode((Int64, String).self) where !sharing.contains(scope.account) {
                    if let row = claims[scope]?[nm]?.row {
                        problems.append(
                            ImportProblem(
                                row: row,
                                kind: .claimedByOtherUser,
                                message:
                                    "nmId \(nm) in \(scope.month) belongs to \(holder), whom the file does not name; add \(holder)'s rows or remove it from them first",
                                nmId: nm,
                                holder: holder
                            )
                        )
                    }
                }
                // What the users named hold now; only articles they do not hold yet are checked against synced data
                // (what they hold was accepted before).
                let heldRows = try await client.query(
                    """
                    SELECT user_id, nm_id FROM assignments WHERE account_id = \(scope.account) AND month = \(scope.month.firstDay)::date
                      AND user_id = ANY(\(targets)::bigint[])
                    """,
                    logger: logger
                )
                var held: Set<Int64> = []
                for try await (user, nm) in heldRows.decode((Int64, Int64).self) {
                    current[scope, default: [:]][user, default: []].insert(nm)
                    held.insert(nm)
                }
                let candidates = nmIds.filter { !held.contains($0) }
                let known = try await store.knownArticles(candidates, account: scope.account, on: nil)
                unknownOf[scope] = Set(candidates).subtracting(known)
                if !force {
                    for nm in candidates where !known.contains(nm) {
                        if let row = claims[scope]?[nm]?.row {
                            problems.append(
                                ImportProblem(
                                    row: row,
                                    kind: .notInSyncedData,
                                    message:
                                        "nmId \(nm) appears in none of account \(scope.account)'s synced orders, sales or report rows of the last \(store.configuration.lookback.components.seconds / 86_400) days",
                                    nmId: nm
                                )
                            )
                        }
                    }
                }
            } catch {
                throw StoreError.statement(error)
            }
        }
        var plan = Plan()
        for scope in sets.keys.sorted() {
            for (user, set) in sets[scope]!.sorted(by: { $0.key < $1.key }) {
                plan.changes.append(SetChange(account: scope.account, month: scope.month, user: user, operation: .replace(set)))
                let before = current[scope]?[user] ?? []
                let added = set.subtracting(before)
                plan.preview.append(
                    ChangeResult(
                        accountId: scope.account,
                        month: scope.month,
                        userId: user,
                        login: logins[user] ?? String(user),
                        added: added.sorted(),
                        removed: before.subtracting(set).sorted(),
                        unchanged: before.intersection(set).count,
                        forced: force ? added.intersection(unknownOf[scope] ?? []).sorted() : [],
                        nmIds: set.sorted()
                    )
                )
            }
        }
        return plan
    }
}
