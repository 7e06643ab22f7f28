import FleetCore
import FleetTesting
import Foundation
import Queue
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import Scheduler

/// The scheduler against a real Redis, with an injected clock: leadership, fencing, idempotent fires, misfires.
@Suite("Scheduler service", .serialized)
struct SchedulerServiceTests {
    static let t0: Int64 = 1_790_000_040_000

    static func scheduler(
        _ queue: StreamQueue,
        _ schedules: [Schedule],
        clock: ManualClock,
        instance: String,
        lease: Duration = .seconds(5)
    ) -> SchedulerService {
        SchedulerService(
            queue: queue,
            sources: [StaticScheduleSource(name: "test", schedules)],
            configuration: .init(lease: lease, instance: instance),
            clock: clock,
            logger: TestRedis.logger
        )
    }

    static func minutely(_ id: String, queue: String = "sched", misfire: MisfirePolicy = .coalesce, unique: String? = nil) -> Schedule {
        Schedule(
            id: id,
            spec: .interval(period: .seconds(60), phase: .zero),
            job: JobRequest(type: "queue.noop", payload: "{}", queue: queue, options: JobOptions(uniqueKey: unique)),
            misfire: misfire
        )
    }

    /// Fire times (from the job ids) of every job in `queue`'s stream.
    static func fireTimes(_ queue: StreamQueue, _ name: String = "sched") async throws -> [Int64] {
        let entries = try await queue.redis.send(RedisCommand("XRANGE", queue.keys.stream(name), "-", "+")).array ?? []
        return entries.compactMap { entry -> Int64? in
            let fields = entry.array?.last?.array?.compactMap(\.string) ?? []
            guard let index = fields.firstIndex(of: "id"), index + 1 < fields.count else { return nil }
            return JobID.timestampMs(of: fields[index + 1])
        }.sorted()
    }

    @Test("one leader among replicas; it fires each due time once; the others wait")
    func leaderFires() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(Self.t0 + 1_000)
            let a = Self.scheduler(queue, [Self.minutely("m")], clock: clock, instance: "a")
            let b = Self.scheduler(queue, [Self.minutely("m")], clock: clock, instance: "b")
            _ = await a.step()
            _ = await b.step()
            #expect(a.isLeader)
            #expect(!b.isLeader)
            for minute in 1...3 {
                clock.set(Self.t0 + Int64(minute) * 60_000 + 100)
                _ = await a.step()
                _ = await b.step()
            }
            #expect(try await Self.fireTimes(queue) == (1...3).map { Self.t0 + Int64($0) * 60_000 })
            let report = try await SchedulerReport.read(queue: queue)
            #expect(report.leader == "a")
            #expect(report.schedules.map(\.schedule.id) == ["m"])
            #expect(report.schedules.first?.state.lastFireMs == Self.t0 + 180_000)
            #expect(report.schedules.first?.state.nextFireMs == Self.t0 + 240_000)
            #expect(report.schedules.first?.lastJobState != nil)
        }
    }

    @Test("a leader that lost its lease while paused is fenced off; the new leader fires each time once")
    func pausedLeaderIsFenced() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(Self.t0 + 1_000)
            let a = Self.scheduler(queue, [Self.minutely("m", misfire: .catchUp(limit: 10))], clock: clock, instance: "a")
            let b = Self.scheduler(queue, [Self.minutely("m", misfire: .catchUp(limit: 10))], clock: clock, instance: "b")
            _ = await a.step()
            clock.set(Self.t0 + 60_100)
            _ = await a.step()
            // a "pauses": its lease runs out in Redis while a still believes it leads.
            _ = try await queue.redis.send(RedisCommand("DEL", a.keys.leader))
            _ = await b.step()
            #expect(b.isLeader)
            clock.set(Self.t0 + 180_100)
            // Both act on the same due fires; a is refused by the fence, b fires them.
            _ = await a.tick(nowMs: clock.nowMs())
            _ = await b.step()
            _ = await a.tick(nowMs: clock.nowMs())
            #expect(!a.isLeader)
            #expect(try await Self.fireTimes(queue) == [Self.t0 + 60_000, Self.t0 + 120_000, Self.t0 + 180_000])
            let token = try #require(try await LeaderLease.current(redis: queue.redis, keys: b.keys))
            #expect(token.value.hasPrefix("2|b"))
        }
    }

    @Test("even without a fence, a fire is enqueued once per (schedule, time)")
    func onceKey() async throws {
        try await TestRedis.withQueue { queue in
            let request = JobRequest(type: "queue.noop", payload: "{}", queue: "sched")
            let first = try await queue.enqueueOnce(request, once: EnqueueOnceGuard(key: "\(queue.configuration.prefix):once:x", ttl: .seconds(60)))
            let second = try await queue.enqueueOnce(request, once: EnqueueOnceGuard(key: "\(queue.configuration.prefix):once:x", ttl: .seconds(60)))
            guard case .enqueued(let result) = first else {
                Issue.record("first: \(first)")
                return
            }
            #expect(second == .doneBefore(jobId: result.id))
            let fenced = try await queue.enqueueOnce(
                request,
                once: EnqueueOnceGuard(
                    key: "\(queue.configuration.prefix):once:y",
                    ttl: .seconds(60),
                    fenceKey: "\(queue.configuration.prefix):nobody",
                    fenceValue: "1|me"
                )
            )
            #expect(fenced == .fenced)
            #expect(try await queue.stats("sched").waiting == 1)
            await #expect(throws: QueueError.self) { try await queue.enqueueOnce(request, once: EnqueueOnceGuard(key: "", ttl: .seconds(1))) }
        }
    }

    @Test("downtime: coalesce fires once, catch-up fires each missed time, both resume on schedule")
    func misfires() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(Self.t0 + 1_000)
            let a = Self.scheduler(
                queue,
                [Self.minutely("c", queue: "coalesced"), Self.minutely("k", queue: "caught", misfire: .catchUp(limit: 5))],
                clock: clock,
                instance: "a"
            )
            _ = await a.step()
            clock.set(Self.t0 + 10 * 60_000 + 500)  // 10 minutes later
            _ = await a.step()
            #expect(try await Self.fireTimes(queue, "coalesced") == [Self.t0 + 600_000])
            #expect(try await Self.fireTimes(queue, "caught") == (6...10).map { Self.t0 + Int64($0) * 60_000 })
            clock.set(Self.t0 + 11 * 60_000 + 500)
            _ = await a.step()
            #expect(try await Self.fireTimes(queue, "coalesced") == [Self.t0 + 600_000, Self.t0 + 660_000])
            let report = try await SchedulerReport.read(queue: queue)
            #expect(report.schedules.first { $0.schedule.id == "c" }?.state.dropped == 9)
            #expect(report.schedules.first { $0.schedule.id == "k" }?.state.dropped == 5)
        }
    }

    @Test("a fire whose job is refused is recorded and skipped; later fires and other schedules go on")
    func failedOccurrence() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(Self.t0 + 1_000)
            let broken = Self.minutely("broken", queue: "no such queue!")
            let a = Self.scheduler(queue, [broken, Self.minutely("fine")], clock: clock, instance: "a")
            _ = await a.step()
            clock.set(Self.t0 + 60_100)
            _ = await a.step()
            clock.set(Self.t0 + 120_100)
            _ = await a.step()
            #expect(try await Self.fireTimes(queue) == [Self.t0 + 60_000, Self.t0 + 120_000])
            let report = try await SchedulerReport.read(queue: queue)
            let state = try #require(report.schedules.first { $0.schedule.id == "broken" }?.state)
            #expect(state.lastOutcome == "error")
            #expect(state.lastError?.contains("queue") == true)
            #expect(state.watermark == Self.t0 + 120_000)
        }
    }

    @Test("a schedule's unique key keeps a slow run from being doubled")
    func uniqueRun() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(Self.t0 + 1_000)
            let a = Self.scheduler(queue, [Self.minutely("u", unique: "only-one")], clock: clock, instance: "a")
            _ = await a.step()
            clock.set(Self.t0 + 60_100)
            _ = await a.step()
            clock.set(Self.t0 + 120_100)
            _ = await a.step()
            #expect(try await queue.stats("sched").waiting == 1)
            let state = try #require(try await SchedulerReport.read(queue: queue).schedules.first?.state)
            #expect(state.lastOutcome == "duplicate")
            #expect(state.lastFireMs == Self.t0 + 120_000)
        }
    }

    @Test("graceful shutdown releases the lease so another replica leads at once")
    func release() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(Self.t0)
            let a = Self.scheduler(queue, [Self.minutely("m")], clock: clock, instance: "a", lease: .seconds(30))
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await a.run() }
                    #expect(await eventually { a.isLeader })
                    trigger.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
            }
            #expect(try await LeaderLease.current(redis: queue.redis, keys: a.keys) == nil)
            let b = Self.scheduler(queue, [Self.minutely("m")], clock: clock, instance: "b", lease: .seconds(30))
            _ = await b.step()
            #expect(b.isLeader)
        }
    }

    @Test("a schedule marked firesWhenNew fires at once the first time it is seen, then on its period")
    func firesWhenNew() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(Self.t0 + 20_000)
            let base = Self.minutely("new")
            let schedule = Schedule(id: base.id, spec: base.spec, job: base.job, firesWhenNew: true)
            let a = Self.scheduler(queue, [schedule], clock: clock, instance: "a")
            _ = await a.step()
            let first = try await Self.fireTimes(queue)
            #expect(first == [Self.t0])
            clock.set(Self.t0 + 60_100)
            _ = await a.step()
            let second = try await Self.fireTimes(queue)
            #expect(second == [Self.t0, Self.t0 + 60_000])
        }
    }
}

/// A source that never answers (a database query waiting for a connection).
struct HangingSource: ScheduleSource {
    let name = "hanging"
    func schedules() async throws -> [Schedule] {
        try await Task.sleep(for: .seconds(3600))
        return []
    }
}

@Suite("Scheduler sources")
struct SchedulerSourceTests {
    @Test("a source that hangs does not stall the leader: the other schedules fire on time")
    func hangingSource() async throws {
        try await TestRedis.withQueue { queue in
            let clock = ManualClock(SchedulerServiceTests.t0 + 1_000)
            let scheduler = SchedulerService(
                queue: queue,
                sources: [HangingSource(), StaticScheduleSource(name: "test", [SchedulerServiceTests.minutely("m")])],
                configuration: .init(lease: .seconds(5), instance: "a", sourceTimeout: .milliseconds(300)),
                clock: clock,
                logger: TestRedis.logger
            )
            let started = ContinuousClock.now
            _ = await scheduler.step()
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(scheduler.isLeader)
            clock.set(SchedulerServiceTests.t0 + 60_100)
            _ = await scheduler.step()
            let fired = try await SchedulerServiceTests.fireTimes(queue)
            #expect(fired == [SchedulerServiceTests.t0 + 60_000])
        }
    }
}
