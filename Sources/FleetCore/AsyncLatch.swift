import Synchronization

/// A one-way latch tasks wait on instead of polling: once ``signal()`` is called, every waiter, and every later
/// ``wait(until:)``, returns at once. A wait also ends at its deadline or when its task is cancelled.
///
/// ```swift
/// let stopped = AsyncLatch()
/// // elsewhere: stopped.signal()
/// if await stopped.wait(until: .now + .seconds(5)) { … }
/// ```
public final class AsyncLatch: Sendable {
    private struct State {
        var signalled = false
        var next = 0
        /// Waits in progress (their ids), and the continuations of those that are suspended.
        var active: Set<Int> = []
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Active waits released (deadline, cancellation) before they suspended.
        var released: Set<Int> = []
    }
    private let state = Mutex(State())

    /// Creates a latch, signalled already if `signalled`.
    public init(signalled: Bool = false) {
        state.withLock { $0.signalled = signalled }
    }

    /// Whether ``signal()`` was called.
    public var isSignalled: Bool { state.withLock { $0.signalled } }

    /// Opens the latch: wakes every waiter. Idempotent.
    public func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.signalled = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the latch is signalled, `deadline` passes (nil: no deadline) or the task is cancelled.
    /// - Returns: whether the latch is signalled.
    @discardableResult
    public func wait(until deadline: ContinuousClock.Instant? = nil) async -> Bool {
        let id = state.withLock { state -> Int? in
            if state.signalled { return nil }
            defer { state.next += 1 }
            state.active.insert(state.next)
            return state.next
        }
        guard let id else { return true }
        let timer = deadline.map { deadline in
            Task {
                guard (try? await Task.sleep(until: deadline)) != nil else { return }
                self.release(id)
            }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.signalled || state.released.contains(id) { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            release(id)
        }
        timer?.cancel()
        return state.withLock { state in
            state.active.remove(id)
            state.released.remove(id)
            return state.signalled
        }
    }

    /// Ends wait `id` early (its deadline passed or its task was cancelled), whether or not it suspended yet.
    private func release(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            if state.active.contains(id) { state.released.insert(id) }
            return nil
        }
        waiter?.resume()
    }
}
