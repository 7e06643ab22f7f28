import FleetCore
import FleetTesting
import Foundation
import Queue
import Synchronization
import Testing

/// Each delivery is fenced by its consumer and delivery count; a worker never takes back what it still holds.
@Suite("Fencing")
struct FencingTests {
    @Test("a later delivery of the same entry to the same consumer fences out the earlier one; one delivery counts once")
    func perDeliveryFence() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            _ = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"))
            let first = try #require(try await queue.fetch(consumer: "w", queues: ["default"], count: 1).first)
            #expect(first.deliveries == 1)
            try await Task.sleep(for: .milliseconds(60))
            // The same consumer claims its own entry again (what an outage longer than the lease used to cause).
            let second = try #require(try await queue.reclaim(consumer: "w", queue: "default", minIdle: .milliseconds(50), count: 1).first)
            #expect(second.entryId == first.entryId && second.deliveries == 2)
            let envelope = try first.envelope.get()
            let stale = HeldEntry(
                queue: "default",
                entryId: first.entryId,
                deliveries: 1,
                jobId: envelope.id,
                concurrencyKey: nil,
                concurrencyLimit: nil
            )
            #expect(try await queue.extend([stale], consumer: "w", lease: .seconds(5)) == [first.entryId])
            let staleFailure = FailureReport(
                queue: "default",
                entryId: first.entryId,
                deliveries: 1,
                jobId: envelope.id,
                fields: envelope.fields,
                uniqueKey: nil,
                concurrencyKey: nil,
                concurrencyLimit: nil,
                errorJSON: "{}",
                retryAtMs: nil
            )
            #expect(try await queue.fail([staleFailure], consumer: "w") == ["rejected"])
            let old = Completion(queue: "default", entryId: first.entryId, deliveries: 1, envelope: envelope)
            let current = Completion(queue: "default", entryId: first.entryId, deliveries: 2, envelope: envelope)
            #expect(try await queue.complete([old, current, current], consumer: "w") == [false, true, false])
            let stats = try await queue.stats("default")
            #expect(stats.counters["processed"] == 1 && stats.pending == 0)
        }
    }

    @Test("the same delivery twice in one batch of full completions counts once")
    func fullCompletionCountsOnce() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            _ = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"), options: .init(uniqueKey: "u1"))
            let taken = try #require(try await queue.fetch(consumer: "w", queues: ["default"], count: 1).first)
            let completion = Completion(queue: "default", entryId: taken.entryId, deliveries: 1, envelope: try taken.envelope.get(), result: "1")
            #expect(try await queue.complete([completion, completion], consumer: "w") == [true, false])
            #expect(try await queue.stats("default").counters["processed"] == 1)
        }
    }

    @Test("a worker back from a Redis outage longer than the lease runs and counts each of its jobs once")
    func outageLongerThanLease() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let counts = set + ":n"
            let jobs = try await queue.enqueue(
                (0..<12).map { _ in try JobRequest(DiagnosticJob.type, .init(set: set, counts: counts, sleepMs: 2500)) }
            )
            var configuration = QueueWorker.Configuration.testing(concurrency: 12, lease: .milliseconds(900))
            configuration.reclaimInterval = .milliseconds(100)
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: configuration) { worker in
                #expect(await eventually { worker.runningCount == 12 })
                // Every client waits while Redis is paused; the leases (900 ms) run out meanwhile.
                _ = try await TestRedis.withClient { admin in
                    try await admin.send(RedisCommand("CLIENT", "PAUSE", "2500", "ALL"))
                }
                try await Task.sleep(for: .milliseconds(2600))
                #expect(await eventually(timeout: .seconds(15)) { try await members(set, queue).count == 12 })
                #expect(await eventually { try await queue.stats("default").counters["processed"] == 12 })
                try await Task.sleep(for: .milliseconds(1500))
            }
            let runs = try await queue.redis.send(RedisCommand("HVALS", counts)).array?.compactMap(\.int) ?? []
            #expect(runs.count == jobs.count && runs.allSatisfy { $0 == 1 }, "runs per job: \(runs)")
            let stats = try await queue.stats("default")
            #expect(stats.counters["processed"] == 12 && stats.pending == 0)
        }
    }

    @Test("a held job whose lease looks expired is not taken back by its own worker")
    func neverReclaimsWhatItHolds() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let counts = set + ":n"
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set, counts: counts, sleepMs: 1500))
            var configuration = QueueWorker.Configuration.testing(lease: .seconds(1))
            configuration.reclaimInterval = .milliseconds(50)
            configuration.heartbeatInterval = .seconds(5)
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: configuration) { worker in
                #expect(await eventually { worker.runningCount == 1 })
                let entry = try #require(try await queue.job(job.id)?.entryId)
                // Make the running job's entry look idle for longer than the lease, again and again.
                for _ in 0..<10 {
                    try await queue.redis.send(
                        RedisCommand(
                            "XCLAIM",
                            queue.keys.stream("default"),
                            queue.configuration.group,
                            worker.consumerName,
                            "0",
                            entry,
                            "IDLE",
                            "60000",
                            "JUSTID"
                        )
                    )
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(await eventually { try await members(set, queue).contains(job.id) })
                #expect(await eventually { try await queue.stats("default").counters["processed"] == 1 })
            }
            #expect(try await queue.redis.send(RedisCommand("HGET", counts, job.id)).int == 1)
        }
    }

    @Test("a job that just completed is not reported as lost to another worker")
    func noFalseLeaseLoss() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let lost = LogCapture()
            var configuration = QueueWorker.Configuration.testing(concurrency: 8, lease: .milliseconds(300))
            configuration.heartbeatInterval = .milliseconds(5)
            let worker = QueueWorker(queue: queue, registry: diagnosticRegistry(), configuration: configuration, logger: lost.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                _ = try await queue.enqueue((0..<200).map { _ in try JobRequest(DiagnosticJob.type, .init(set: set, sleepMs: 5)) })
                #expect(await eventually { try await members(set, queue).count == 200 })
                worker.requestStop()
                try await group.waitForAll()
            }
            #expect(lost.messages.filter { $0.contains("lost the lease") }.isEmpty, "\(lost.messages.filter { $0.contains("lost the lease") })")
        }
    }
}
