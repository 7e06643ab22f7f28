import FleetCore
import FleetTesting
import Foundation
import Queue
import Testing

/// The queue reads an injected clock: delays and retry backoffs follow a clock moved by hand, in the Swift code and
/// in the Redis scripts alike, so a day's delay is tested without waiting a day (or a second).
@Suite("Injected clock")
struct ClockTests {
    static let day: Int64 = 86_400_000

    @Test("the scripts use the queue's clock: a delayed job is due at exactly the clock's time plus its delay")
    func scriptsUseTheClock() async throws {
        // Ten years ahead of the real time: Redis's own clock would call every such job far from due.
        let clock = ManualClock(SystemClock.nowMs() + 3650 * Self.day)
        try await TestRedis.withQueue(clock: clock) { queue in
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"), options: .init(delayMs: Self.day))
            #expect(job.status == .delayed)
            let score = try await queue.redis.send(RedisCommand("ZSCORE", queue.keys.delayed("default"), job.id)).string
            #expect(score.flatMap { Int64($0) } == clock.nowMs() + Self.day)

            clock.advance(Self.day - 1)
            var promoted = try await queue.promoteDue(queue: "default")
            #expect(promoted.moved == 0 && promoted.nextDueMs == clock.nowMs() + 1)
            #expect(try await queue.job(job.id)?.state == "delayed")

            clock.advance(1)
            promoted = try await queue.promoteDue(queue: "default")
            #expect(promoted.moved == 1 && promoted.nextDueMs == nil)
            #expect(try await queue.job(job.id)?.state == "queued")
        }
    }

    @Test("the system clock leaves the scripts on Redis's time")
    func systemClockUsesRedisTime() async throws {
        try await TestRedis.withQueue { queue in
            // Due in the real past by Redis's clock: queued at once, whatever the delayed set's score would say.
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"), options: .init(runAtMs: 1))
            #expect(job.status == .queued)
            let later = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"), options: .init(delayMs: 60_000))
            #expect(later.status == .delayed)
            #expect(try await queue.promoteDue(queue: "default").moved == 0)
        }
    }

    @Test("a worker runs a job delayed by a day once the clock has moved a day, not before")
    func workerFollowsTheClock() async throws {
        let clock = ManualClock()
        try await TestRedis.withQueue(clock: clock) { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set), options: .init(delayMs: Self.day))
                // The worker's promote loop looks at least once a second: give it two looks on the old time.
                try await Task.sleep(for: .milliseconds(2100))
                #expect(try await members(set, queue).isEmpty)
                #expect(try await queue.job(job.id)?.state == "delayed")
                clock.advance(by: .seconds(86_400))
                #expect(await eventually { try await members(set, queue).contains(job.id) })
            }
        }
    }

    @Test("a retry waits its backoff on the queue's clock")
    func retryBackoffFollowsTheClock() async throws {
        let clock = ManualClock()
        try await TestRedis.withQueue(
            clock: clock,
            {
                $0.retryBackoffBase = .seconds(3600)
                $0.retryBackoffCap = .seconds(3600)
            }
        ) { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set, failAttempts: 1), options: .init(maxAttempts: 3))
                #expect(await eventually { try await queue.job(job.id)?.state == "retrying" })
                let due = try await queue.redis.send(RedisCommand("ZSCORE", queue.keys.delayed("default"), job.id)).string.flatMap { Int64($0) }
                // One hour ±25 % after the failure, on the manual clock (which has not moved).
                #expect(due.map { (clock.nowMs() + 2_700_000...clock.nowMs() + 4_500_000).contains($0) } == true, "\(String(describing: due))")
                clock.advance(by: .seconds(2 * 3600))
                #expect(await eventually { try await members(set, queue).contains(job.id) })
                #expect(try await queue.job(job.id)?.attempt == 2)
            }
        }
    }
}
