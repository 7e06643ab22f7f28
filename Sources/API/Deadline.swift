import Synchronization

/// Runs `body` with a deadline: past it the caller gets `onTimeout()`'s error at once and `body` is cancelled
/// (it may finish later; its result is dropped). postgres-nio waits for a connection as long as it takes when the
/// server is down, so without this a request would hang instead of answering 503.
func withDeadline<T: Sendable>(
    _ timeout: Duration, onTimeout: @escaping @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(
                continuation,
                work: Task {
                    do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
                },
                timer: Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    race.finish(.failure(onTimeout()))
                })
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// Who answers first: the work or the timer. The loser is cancelled.
final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var early: Result<T, any Error>?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, work: Task<Void, Never>, timer: Task<Void, Never>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            state.work = work
            state.timer = timer
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early {
            work.cancel()
            timer.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, work, timer) = state.withLock { state in
            defer {
                state.continuation = nil
                if state.early == nil { state.early = result }
            }
            return (state.continuation, state.work, state.timer)
        }
        guard let continuation else { return }
        work?.cancel()
        timer?.cancel()
        continuation.resume(with: result)
    }
}
