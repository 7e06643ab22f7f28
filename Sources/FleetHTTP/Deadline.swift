/// Runs `body` with a deadline, as a structured race: past `timeout` the work is cancelled and awaited, and the
/// answer is what really happened — its result if it still finished (a commit that raced the deadline is reported,
/// not hidden behind "try again"), `onTimeout()`'s error if it stopped. postgres-nio honours cancellation while it
/// waits for a connection and cancels a running statement, and the API's connections carry a `statement_timeout`
/// of the same length, so the wait for the cancelled work is short: a request never answers 503 while its work
/// goes on to commit behind it.
public func withDeadline<T: Sendable>(
    _ timeout: Duration,
    onTimeout: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
        group.addTask { .finished(try await body()) }
        group.addTask {
            try await Task.sleep(for: timeout)
            return .timedOut
        }
        do {
            switch try await group.next() {
            case .finished(let value)?:
                group.cancelAll()
                return value
            case .timedOut?, nil:
                group.cancelAll()
                if case .finished(let value)? = try? await group.next() { return value }
                throw onTimeout()
            }
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Who finished first in ``withDeadline(_:onTimeout:_:)``.
private enum DeadlineOutcome<T: Sendable>: Sendable {
    case finished(T)
    case timedOut
}
