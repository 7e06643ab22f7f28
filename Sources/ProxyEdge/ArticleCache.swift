import Assignments
import Foundation
import Synchronization

/// Each user's articles this month, cached for a short while and dropped at once when an assignment change names
/// them (``AssignmentWatcher``), or all of them when the watcher resubscribes.
final class ArticleCache: Sendable {
    private struct Entry {
        var account: Int64
        var articles: Set<Int64>
        var until: ContinuousClock.Instant
    }

    private let entries = Mutex<[Int64: Entry]>([:])
    let store: AssignmentStore
    let ttl: Duration

    init(store: AssignmentStore, ttl: Duration) {
        self.store = store
        self.ttl = ttl
    }

    /// The articles of `user` in `account` this month, and whether they came from the cache.
    func articles(user: Int64, account: Int64) async throws -> (articles: Set<Int64>, cached: Bool) {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[user] }), entry.account == account, entry.until > now { return (entry.articles, true) }
        let articles = Set(try await store.currentArticles(user: user, account: account))
        entries.withLock { $0[user] = Entry(account: account, articles: articles, until: now + ttl) }
        return (articles, false)
    }

    /// Drops the cached sets of `users`.
    func forget(_ users: [Int64]) { entries.withLock { for user in users { $0[user] = nil } } }

    /// Drops every cached set.
    func forgetAll() { entries.withLock { $0.removeAll() } }
}
