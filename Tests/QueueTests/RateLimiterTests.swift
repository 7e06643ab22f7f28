import FleetTesting
import Queue
import Synchronization
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("several clients together stay within the limit")
    func sharedLimit() async throws {
        try await TestRedis.withClient(poolSize: 6) { redis in
            let limiter = RateLimiter(redis: redis, prefix: TestRedis.uniquePrefix("rate"))
            let granted = GrantCounter()
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        while ContinuousClock.now - start < .milliseconds(2000) {
                            try await limiter.wait(key: "wb-token", limit: 20, per: .seconds(1))
                            if ContinuousClock.now - start < .milliseconds(2000) { granted.increment() }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = granted.value
            // 20/s for 2 s, evenly spaced: 40 (+1 for the first cell); three greedy clients must not get more.
            #expect(count <= 41 && count >= 35, "granted \(count)")
        }
    }

    @Test("a burst is allowed after a quiet spell, then the rate applies; bad limits are refused")
    func burst() async throws {
        try await TestRedis.withClient { redis in
            let limiter = RateLimiter(redis: redis, prefix: TestRedis.uniquePrefix("rate"))
            for _ in 0..<5 { #expect(try await limiter.acquire(key: "k", limit: 1, per: .seconds(10), burst: 5) == .zero) }
            let wait = try await limiter.acquire(key: "k", limit: 1, per: .seconds(10), burst: 5)
            #expect(wait > .seconds(5) && wait <= .seconds(10))
            await #expect(throws: QueueError.self) { try await limiter.acquire(key: "k", limit: 0, per: .seconds(1)) }
        }
    }
}

final class GrantCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
