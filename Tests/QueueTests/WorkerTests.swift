import FleetCore
import FleetTesting
import Foundation
import Queue
import Synchronization
import Testing

func diagnosticRegistry() -> JobRegistry {
    var registry = JobRegistry()
    registry.registerDiagnostic()
    return registry
}

func members(_ set: String, _ queue: StreamQueue) async throws -> Set<String> {
    Set(try await queue.redis.send(RedisCommand("SMEMBERS", set)).array?.compactMap(\.string) ?? [])
}

@Suite("Worker")
struct WorkerTests {
    @Test("runs every enqueued job exactly once and acknowledges it")
    func runsJobs() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let results = try await queue.enqueue((0..<300).map { _ in try JobRequest(DiagnosticJob.type, .init(set: set, counts: set + ":n")) })
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing(concurrency: 8)) { _ in
                #expect(await eventually { try await members(set, queue).count == 300 })
            }
            #expect(try await members(set, queue) == Set(results.map(\.id)))
            let counts = try await queue.redis.send(RedisCommand("HVALS", set + ":n")).array?.compactMap(\.int) ?? []
            #expect(counts.count == 300 && counts.allSatisfy { $0 == 1 })
            let stats = try await queue.stats("default")
            #expect(stats.pending == 0 && stats.waiting == 0 && stats.counters["processed"] == 300)
            let info = try await queue.job(results[0].id)
            #expect(info?.state == "completed" && info?.attempt == 1)
        }
    }

    @Test("delayed jobs wait for their time")
    func delayedJobs() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                let start = ContinuousClock.now
                let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set), options: .init(delayMs: 700))
                #expect(await eventually { try await members(set, queue).contains(job.id) })
                #expect(ContinuousClock.now - start >= .milliseconds(700))
            }
        }
    }

    @Test("retries with backoff, then dead-letters with the error history; dead letters can be retried")
    func retriesThenDeadLetters() async throws {
        try await TestRedis.withQueue({
            $0.retryBackoffBase = .milliseconds(50)
            $0.retryBackoffCap = .milliseconds(200)
        }) { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                let flaky = try await queue.enqueue(DiagnosticJob.type, .init(set: set, failAttempts: 2), options: .init(maxAttempts: 3))
                let doomed = try await queue.enqueue(DiagnosticJob.type, .init(set: set, failAttempts: 99), options: .init(maxAttempts: 2))
                let permanent = try await queue.enqueue(DiagnosticJob.type, .init(set: set, failAttempts: 99, permanent: true))
                #expect(await eventually { try await members(set, queue).contains(flaky.id) })
                #expect(try await queue.job(flaky.id)?.attempt == 3)
                #expect(await eventually { try await queue.stats("default").dead == 2 })
                let dead = try await queue.deadLetters("default")
                let doomedLetter = try #require(dead.first { $0.jobId == doomed.id })
                let errors = try JSONSerialization.jsonObject(with: Data(doomedLetter.errors.utf8)) as? [[String: Any]]
                #expect(errors?.count == 2)
                #expect((errors?.last?["error"] as? String)?.contains("diagnostic failure on attempt 2") == true)
                let permanentInfo = try await queue.job(permanent.id)
                #expect(permanentInfo?.state == "dead" && permanentInfo?.attempt == 1)

                // Retrying a dead letter runs it again from attempt 1 (it fails again, up to maxAttempts).
                try await queue.retryDead(permanent.id)
                #expect(try await queue.deadLetters("default").count == 1)
                #expect(await eventually { try await queue.deadLetters("default").count == 2 })
                try await queue.deleteDead(doomed.id)
                #expect(try await queue.deadLetters("default").map(\.jobId) == [permanent.id])
                let missing = await #expect(throws: QueueError.self) { try await queue.deleteDead(doomed.id) }
                #expect(missing?.code == .notFound)
            }
        }
    }

    @Test("malformed entries and unknown types are dead-lettered with a reason while the worker keeps running")
    func malformedEntries() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await queue.ensureGroup("default")
            let stream = queue.keys.stream("default")
            let bad: [[String]] = [
                ["type", "queue.diagnostic", "payload", "{}"],
                ["id", "J1", "payload", "{}"],
                ["id", "J2", "type", "queue.diagnostic", "payload", "{\"set\": 5}"],
                ["id", "J3", "type", "queue.diagnostic", "payload", "{not json"],
                ["id", "J4", "type", "no.such.type", "payload", "{}"],
                ["id", "J5", "type", "queue.diagnostic", "payload", "{}", "attempt", "x"],
                ["id", "J6", "type", "queue.diagnostic", "payload", "{}", "v", "9"],
            ]
            for fields in bad { try await queue.redis.send(RedisCommand(arguments: ["XADD", stream, "*"] + fields)) }
            let good = try await queue.enqueue(DiagnosticJob.type, .init(set: set))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { try await members(set, queue).contains(good.id) })
                #expect(await eventually { try await queue.stats("default").dead == bad.count })
            }
            let reasons = try await queue.deadLetters("default").map { ($0.jobId, $0.errors) }
            let byId = Dictionary(reasons, uniquingKeysWith: { a, _ in a })
            #expect(byId["J1"]?.contains("missing field 'type'") == true)
            #expect(byId["J2"]?.contains("payload does not match") == true)
            #expect(byId["J3"]?.contains("payload does not match") == true)
            #expect(byId["J4"]?.contains("unknown job type 'no.such.type'") == true)
            #expect(byId["J5"]?.contains("'attempt' is not an integer") == true)
            #expect(byId["J6"]?.contains("version 9") == true)
            #expect(reasons.contains { $0.1.contains("missing field 'id'") })
            #expect(try await queue.stats("default").pending == 0)
        }
    }

    @Test("an acknowledgement from a worker that lost the job to a reclaim is rejected")
    func fencedAcknowledgement() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"))
            let taken = try await queue.fetch(consumer: "slow", queues: ["default"], count: 10)
            #expect(taken.count == 1)
            try await Task.sleep(for: .milliseconds(60))
            let stolen = try await queue.reclaim(consumer: "fast", queue: "default", minIdle: .milliseconds(50), count: 10)
            #expect(stolen.count == 1 && stolen[0].deliveries == 2)
            let envelope = try stolen[0].envelope.get()
            let late = try await queue.complete(
                [Completion(queue: "default", entryId: taken[0].entryId, deliveries: 1, envelope: envelope)],
                consumer: "slow"
            )
            #expect(late == [false])
            let lateFailure = try await queue.fail(
                [
                    FailureReport(
                        queue: "default",
                        entryId: taken[0].entryId,
                        deliveries: 1,
                        jobId: job.id,
                        fields: envelope.fields,
                        uniqueKey: nil,
                        concurrencyKey: nil,
                        concurrencyLimit: nil,
                        errorJSON: "{}",
                        retryAtMs: nil
                    )
                ],
                consumer: "slow"
            )
            #expect(lateFailure == ["rejected"])
            let onTime = try await queue.complete(
                [Completion(queue: "default", entryId: stolen[0].entryId, deliveries: 2, envelope: envelope)],
                consumer: "fast"
            )
            #expect(onTime == [true])
            #expect(try await queue.job(job.id)?.worker == "fast")
        }
    }

    @Test(
        "one acknowledgement batch of plain jobs of two types, results, a unique key, a cancellation, a follow-up and a lost job answers each in order"
    )
    func mixedAcknowledgementBatch() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            let requests: [JobRequest] = [
                try JobRequest(DiagnosticJob.type, .init(set: "a")),
                JobRequest(type: "other.type", payload: "{}"),
                try JobRequest(DiagnosticJob.type, .init(set: "b")),
                try JobRequest(DiagnosticJob.type, .init(set: "c"), options: JobOptions(uniqueKey: "only-one")),
                try JobRequest(DiagnosticJob.type, .init(set: "d")),
                try JobRequest(DiagnosticJob.type, .init(set: "e")),
                try JobRequest(DiagnosticJob.type, .init(set: "f")),
                JobRequest(type: "other.type", payload: "{}"),
            ]
            let enqueued = try await queue.enqueue(requests).map(\.id)
            // In stream order (a unique job is added after the plain ones of a bulk enqueue).
            let taken = try await queue.fetch(consumer: "mine", queues: ["default"], count: 10)
            #expect(taken.count == 8)
            let ids = taken.compactMap(\.jobId)
            #expect(Set(ids) == Set(enqueued))
            // The sixth job is lost to another worker before this one acknowledges it.
            try await Task.sleep(for: .milliseconds(60))
            let stolen = try await queue.redis.send(
                RedisCommand("XCLAIM", queue.keys.stream("default"), queue.configuration.group, "thief", "50", taken[5].entryId, "JUSTID")
            )
            #expect(stolen.array?.count == 1)
            let followUp = try JobRequest(DiagnosticJob.type, .init(set: "next"), id: "FOLLOW-1")
            let completions = try taken.enumerated().map { index, delivery -> Completion in
                let envelope = try delivery.envelope.get()
                switch index {
                case 2: return Completion(queue: "default", entryId: delivery.entryId, deliveries: 1, envelope: envelope, result: #"{"rows":3}"#)
                case 4: return Completion(queue: "default", entryId: delivery.entryId, deliveries: 1, envelope: envelope, state: .cancelled)
                case 6: return Completion(queue: "default", entryId: delivery.entryId, deliveries: 1, envelope: envelope, followUps: [followUp])
                default: return Completion(queue: "default", entryId: delivery.entryId, deliveries: 1, envelope: envelope)
                }
            }
            let flags = try await queue.complete(completions, consumer: "mine")
            #expect(flags == [true, true, true, true, true, false, true, true])

            var infos: [JobInfo?] = []
            for id in ids { infos.append(try await queue.job(id)) }
            #expect(infos.map { $0?.state } == ["completed", "completed", "completed", "completed", "cancelled", "active", "completed", "completed"])
            #expect(infos.filter { $0?.type == "other.type" }.count == 2)
            #expect(infos[2]?.result == #"{"rows":3}"# && infos[0]?.result == nil)
            #expect(infos.enumerated().allSatisfy { index, info in index == 5 || info?.worker == "mine" })
            #expect(try await queue.redis.send(RedisCommand("EXISTS", "\(queue.configuration.prefix):unique:only-one")).int == 0)
            #expect(try await queue.job("FOLLOW-1")?.state == "queued")
            let stats = try await queue.stats("default")
            #expect(stats.counters["processed"] == 6 && stats.counters["cancelled"] == 1 && stats.pending == 1)
        }
    }

    @Test("an entry deleted from the stream while pending is not reclaimed and leaves the pending list")
    func reclaimSkipsDeletedEntries() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            _ = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"))
            let kept = try await queue.enqueue(DiagnosticJob.type, .init(set: "y"))
            let taken = try await queue.fetch(consumer: "dead", queues: ["default"], count: 10)
            #expect(taken.count == 2)
            try await queue.redis.send(RedisCommand("XDEL", queue.keys.stream("default"), taken[0].entryId))
            try await Task.sleep(for: .milliseconds(60))
            let claimed = try await queue.reclaim(consumer: "alive", queue: "default", minIdle: .milliseconds(50), count: 10)
            #expect(claimed.map(\.jobId) == [kept.id])
            #expect(claimed.first?.deliveries == 2)
            #expect(try await queue.stats("default").pending == 1, "the deleted entry was acknowledged away")
        }
    }

    @Test("jobs of a consumer that died are reclaimed after the lease and counted as a delivery, not an attempt")
    func reclaimAfterLease() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await queue.ensureGroup("default")
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set))
            #expect(try await queue.fetch(consumer: "dead-worker", queues: ["default"], count: 1).count == 1)
            let start = ContinuousClock.now
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing(lease: .seconds(1))) { _ in
                #expect(await eventually { try await members(set, queue).contains(job.id) })
            }
            #expect(ContinuousClock.now - start >= .milliseconds(900))
            let info = try await queue.job(job.id)
            #expect(info?.attempt == 1 && info?.state == "completed")
        }
    }

    @Test("a long job keeps its lease by heartbeat and is never reclaimed from a live worker")
    func heartbeatKeepsLease() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let counts = set + ":n"
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set, counts: counts, sleepMs: 2500))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing(lease: .milliseconds(600))) { _ in
                try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing(lease: .milliseconds(600))) { _ in
                    #expect(await eventually { try await members(set, queue).contains(job.id) })
                }
            }
            #expect(try await queue.redis.send(RedisCommand("HGET", counts, job.id)).int == 1)
        }
    }

    @Test("graceful shutdown finishes running jobs; past the deadline they are handed back and rerun elsewhere")
    func gracefulShutdown() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let quick = try await queue.enqueue(DiagnosticJob.type, .init(set: set, sleepMs: 300))
            var slowConfiguration = QueueWorker.Configuration.testing(lease: .seconds(30))
            slowConfiguration.shutdownTimeout = .milliseconds(400)
            let slow = try await queue.enqueue(DiagnosticJob.type, .init(set: set, sleepMs: 5000))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: slowConfiguration) { worker in
                #expect(await eventually { worker.runningCount == 2 })
            }
            #expect(try await members(set, queue) == [quick.id])
            #expect(try await queue.stats("default").pending == 1)
            // Handed back: another worker takes it at once, though the lease is 30 s.
            var fast = QueueWorker.Configuration.testing(lease: .seconds(30))
            fast.reclaimInterval = .seconds(60)
            let start = ContinuousClock.now
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: fast) { _ in
                #expect(await eventually(timeout: .seconds(15)) { try await members(set, queue).contains(slow.id) })
            }
            #expect(ContinuousClock.now - start < .seconds(12))
        }
    }

    @Test("a handler that never looks at cancellation is stopped anyway: by a cancel, and by the shutdown deadline")
    func stubbornHandlersStop() async throws {
        struct Nothing: Codable, Sendable {}
        let stubborn = JobType<Nothing>(name: "test.stubborn")
        var registry = JobRegistry()
        // A plain Task.sleep, not the context's: only the cancellation of its task can end it early.
        registry.register(stubborn) { _, _ in try await Task.sleep(for: .seconds(60)) }
        try await TestRedis.withQueue { queue in
            let cancelled = try await queue.enqueue(stubborn, Nothing())
            try await withWorker(queue: queue, registry: registry, configuration: .testing()) { worker in
                #expect(await eventually { worker.runningCount == 1 })
                let asked = ContinuousClock.now
                let outcome = try await queue.cancel(cancelled.id)
                #expect(outcome == .requested)
                #expect(await eventually(timeout: .seconds(10)) { try await queue.job(cancelled.id)?.state == "cancelled" })
                #expect(ContinuousClock.now - asked < .seconds(10))
            }
            var configuration = QueueWorker.Configuration.testing()
            configuration.shutdownTimeout = .milliseconds(500)
            let stopped = try await queue.enqueue(stubborn, Nothing())
            let worker = QueueWorker(queue: queue, registry: registry, configuration: configuration, logger: TestRedis.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                #expect(await eventually { worker.runningCount == 1 })
                let asked = ContinuousClock.now
                worker.requestStop()
                try await group.waitForAll()
                // The deadline, the hand-back and the handler's end: seconds, not the handler's minute.
                #expect(ContinuousClock.now - asked < .seconds(10), "\(ContinuousClock.now - asked)")
                #expect(worker.runningCount == 0)
            }
            #expect(try await queue.job(stopped.id)?.state != "completed")
        }
    }

    @Test("a worker whose fleet-events connection is killed subscribes again (it never goes deaf to pauses and cancels)")
    func eventsResubscribe() async throws {
        try await TestRedis.withQueue { queue in
            let channel = queue.keys.events
            func subscribers() async throws -> Int {
                try await queue.redis.send(RedisCommand("PUBSUB", "NUMSUB", channel)).array?.last?.int ?? 0
            }
            // The worker's subscriber connection, found by the channel count of pub/sub clients (this test's Redis
            // may hold other suites' subscribers: only those on this queue's channel are counted).
            func subscriberIDs() async throws -> [String] {
                let list = try await queue.redis.send(RedisCommand("CLIENT", "LIST", "TYPE", "pubsub")).string ?? ""
                return list.split(separator: "\n").compactMap { line in
                    let fields = Dictionary(
                        line.split(separator: " ").compactMap { pair -> (String, String)? in
                            let kv = pair.split(separator: "=", maxSplits: 1)
                            return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
                        },
                        uniquingKeysWith: { a, _ in a }
                    )
                    return fields["name"]?.contains("subscriber") == true ? fields["id"] : nil
                }
            }
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { try await subscribers() == 1 })
                let before = try await subscriberIDs()
                for id in before { _ = try await queue.redis.send(RedisCommand("CLIENT", "KILL", "ID", id)) }
                #expect(
                    await eventually {
                        let ids = try await subscriberIDs()
                        return try await subscribers() == 1 && !ids.isEmpty && Set(ids).isDisjoint(with: before)
                    }
                )
                // And the new subscription works: a pause is confirmed through it.
                try await queue.ensureGroup("default")
                let paused = try await queue.pause("default")
                #expect(paused.unconfirmed.isEmpty && paused.confirmed.count == 1, "\(paused)")
                try await queue.resume("default")
            }
        }
    }

    @Test("cancels queued, delayed and running jobs")
    func cancellation() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let delayed = try await queue.enqueue(DiagnosticJob.type, .init(set: set), options: .init(delayMs: 60_000, uniqueKey: "d"))
            #expect(try await queue.cancel(delayed.id) == .cancelled)
            #expect(try await queue.job(delayed.id)?.state == "cancelled")
            #expect(try await queue.enqueue(DiagnosticJob.type, .init(set: set), options: .init(uniqueKey: "d")).status == .queued)
            let queued = try await queue.enqueue(DiagnosticJob.type, .init(set: set))
            #expect(try await queue.cancel(queued.id) == .requested)
            let running = try await queue.enqueue(DiagnosticJob.type, .init(set: set, sleepMs: 30_000))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { worker in
                #expect(await eventually { worker.runningCount == 1 })
                let outcome = try await queue.cancel(running.id)
                #expect(outcome == .requested)
                #expect(await eventually { try await queue.job(running.id)?.state == "cancelled" })
            }
            #expect(try await queue.job(queued.id)?.state == "cancelled")
            #expect(try await !members(set, queue).contains(queued.id))
            let again = await #expect(throws: QueueError.self) { try await queue.cancel(running.id) }
            #expect(again?.message.contains("already finished") == true)
            let unknown = await #expect(throws: QueueError.self) { try await queue.cancel("NOPE") }
            #expect(unknown?.code == .notFound)
        }
    }

    @Test("paused queues are not consumed until resumed")
    func pauseResume() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await queue.pause("default", force: true)
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                try await Task.sleep(for: .milliseconds(800))
                #expect(try await members(set, queue).isEmpty)
                #expect(try await queue.stats("default").paused)
                try await queue.resume("default")
                #expect(await eventually { try await members(set, queue).contains(job.id) })
            }
        }
    }

    @Test("a concurrency key limits runs fleet-wide, and a busy key does not starve others")
    func concurrencyKeys() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let hot = try await queue.enqueue(
                (0..<40).map { _ in
                    try JobRequest(
                        DiagnosticJob.type,
                        .init(set: set, sleepMs: 20),
                        options: .init(concurrencyKey: "account:hot", concurrencyLimit: 1)
                    )
                }
            )
            let cold = try await queue.enqueue(
                (0..<5).map { _ in
                    try JobRequest(DiagnosticJob.type, .init(set: set), options: .init(concurrencyKey: "account:cold", concurrencyLimit: 1))
                }
            )
            let peak = Mutex((current: 0, peak: 0))
            var registry = JobRegistry()
            registry.register(DiagnosticJob.type) { payload, context in
                peak.withLock {
                    $0.current += 1
                    $0.peak = max($0.peak, $0.current)
                }
                defer { peak.withLock { $0.current -= 1 } }
                try await DiagnosticJob.run(payload, context)
            }
            try await withWorker(queue: queue, registry: registry, configuration: .testing(concurrency: 6)) { _ in
                try await withWorker(queue: queue, registry: registry, configuration: .testing(concurrency: 6)) { _ in
                    #expect(await eventually { try await members(set, queue).isSuperset(of: cold.map(\.id)) })
                    let hotDone = try await members(set, queue).intersection(hot.map(\.id)).count
                    #expect(hotDone < 40, "the cold key finished while the hot key still had work queued")
                    #expect(await eventually(timeout: .seconds(20)) { try await members(set, queue).count == 45 })
                }
            }
            #expect(peak.withLock { $0.peak } <= 2)
        }
    }

    @Test("strict priority drains higher queues first")
    func strictPriority() async throws {
        try await TestRedis.withQueue { queue in
            let order = "\(queue.configuration.prefix):order"
            var registry = JobRegistry()
            registry.register(DiagnosticJob.type) { payload, context in
                try await context.queueEngine.redis.send(RedisCommand("RPUSH", order, context.queue))
            }
            _ = try await queue.enqueue((0..<20).map { _ in try JobRequest(DiagnosticJob.type, .init(set: "x"), queue: "low") })
            _ = try await queue.enqueue((0..<20).map { _ in try JobRequest(DiagnosticJob.type, .init(set: "x"), queue: "high") })
            try await withWorker(queue: queue, registry: registry, configuration: .testing(queues: ["high", "low"], concurrency: 1)) { _ in
                #expect(await eventually { try await queue.redis.send(RedisCommand("LLEN", order)).int == 40 })
            }
            let ran = try await queue.redis.send(RedisCommand("LRANGE", order, "0", "-1")).array?.compactMap(\.string) ?? []
            #expect(Array(ran.prefix(20)) == Array(repeating: "high", count: 20))
        }
    }

    @Test("follow-up jobs are enqueued when a job succeeds, not when it fails")
    func chains() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let next = try JobRequest(DiagnosticJob.type, .init(set: set, result: "second"), id: "FOLLOW1", options: .init(uniqueKey: "kpi"))
            let first = try await queue.enqueue(DiagnosticJob.type, .init(set: set), options: .init(next: [next]))
            let failing = try JobRequest(DiagnosticJob.type, .init(set: set), id: "NEVER1")
            _ = try await queue.enqueue(DiagnosticJob.type, .init(set: set, failAttempts: 1, permanent: true), options: .init(next: [failing]))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { try await members(set, queue) == [first.id, "FOLLOW1"] })
                #expect(await eventually { try await queue.stats("default").dead == 1 })
            }
            #expect(try await queue.job("FOLLOW1")?.result == "\"second\"")
            #expect(try await queue.job("NEVER1") == nil)
        }
    }

    @Test("acknowledged entries are trimmed, so Redis memory does not grow with processed jobs")
    func trimming() async throws {
        try await TestRedis.withQueue({ $0.completedTTL = .seconds(3) }) { queue in
            let set = "\(queue.configuration.prefix):ran"
            _ = try await queue.enqueue((0..<2000).map { _ in try JobRequest(DiagnosticJob.type, .init(set: set)) })
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing(concurrency: 20)) { _ in
                #expect(await eventually { try await members(set, queue).count == 2000 })
                #expect(await eventually { try await queue.redis.send(RedisCommand("XLEN", queue.keys.stream("default"))).int ?? 99 <= 1 })
            }
            let someJob = try #require(try await members(set, queue).first)
            #expect(try await queue.job(someJob)?.state == "completed")
            // Completed records live in done buckets that expire whole after QUEUE_COMPLETED_TTL (3 s here) plus
            // one bucket (1 s): nothing of the 2000 jobs stays behind but the counters.
            #expect(
                await eventually(timeout: .seconds(8)) {
                    try await queue.redis.send(RedisCommand("KEYS", "\(queue.configuration.prefix):done:*")).array?.isEmpty == true
                }
            )
            #expect(try await queue.job(someJob) == nil)
        }
    }
}

@Suite("Worker features")
struct WorkerFeatureTests {
    @Test("a debounced burst runs once, with the last payload, after the last change")
    func debounceRunsOnce() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let counts = set + ":n"
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                var ids: Set<String> = []
                for index in 0..<5 {
                    let result = try await queue.enqueue(
                        DiagnosticJob.type,
                        .init(set: set, counts: counts, result: "v\(index)"),
                        options: .init(delayMs: 400, debounceKey: "kpi:7")
                    )
                    ids.insert(result.id)
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(ids.count == 1)
                let id = try #require(ids.first)
                #expect(await eventually { try await members(set, queue).contains(id) })
                #expect(try await queue.job(id)?.result == "\"v4\"")
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await queue.redis.send(RedisCommand("HLEN", counts)).int == 1)
                // After the run, the next change starts a new debounced job.
                let next = try await queue.enqueue(DiagnosticJob.type, .init(set: set), options: .init(delayMs: 100, debounceKey: "kpi:7"))
                #expect(next.id != id && next.status == .delayed)
            }
        }
    }

    @Test("progress reported by a running job is visible in its record")
    func progress() async throws {
        try await TestRedis.withQueue { queue in
            let gate = JobType<DiagnosticJob.Payload>(name: "test.progress")
            var registry = JobRegistry()
            registry.register(gate) { payload, context in
                try await context.reportProgress(["pages": 3, "rows": 1200])
                try await context.sleep(for: .seconds(30))
            }
            let job = try await queue.enqueue(gate, .init(set: "x"))
            try await withWorker(queue: queue, registry: registry, configuration: .testing()) { worker in
                #expect(await eventually { try await queue.job(job.id)?.progress == #"{"pages":3,"rows":1200}"# })
                let info = try await queue.job(job.id)
                #expect(info?.state == "active" && info?.deliveries == 1 && info?.worker == worker.consumerName)
                _ = try await queue.cancel(job.id)
            }
        }
    }

    @Test("weighted priority serves every queue, in proportion")
    func weightedPriority() async throws {
        try await TestRedis.withQueue { queue in
            let order = "\(queue.configuration.prefix):order"
            var registry = JobRegistry()
            registry.register(DiagnosticJob.type) { _, context in
                try await context.queueEngine.redis.send(RedisCommand("RPUSH", order, context.queue))
            }
            _ = try await queue.enqueue((0..<300).map { _ in try JobRequest(DiagnosticJob.type, .init(set: "x"), queue: "big") })
            _ = try await queue.enqueue((0..<300).map { _ in try JobRequest(DiagnosticJob.type, .init(set: "x"), queue: "small") })
            var configuration = QueueWorker.Configuration.testing(queues: ["big", "small"], concurrency: 1)
            configuration.priority = .weighted([3, 1])
            configuration.batchSize = 1
            try await withWorker(queue: queue, registry: registry, configuration: configuration) { _ in
                #expect(await eventually { try await queue.redis.send(RedisCommand("LLEN", order)).int ?? 0 >= 200 })
            }
            let first200 = Array((try await queue.redis.send(RedisCommand("LRANGE", order, "0", "199")).array ?? []).compactMap(\.string))
            let small = first200.filter { $0 == "small" }.count
            // Expect about 50 of 200 from the weight-1 queue; strict priority would give 0.
            #expect(small >= 25 && small <= 80, "small got \(small) of 200")
        }
    }

    @Test("an entry without `max` (a foreign producer) gets the queue's default attempts")
    func missingMaxUsesDefault() async throws {
        try await TestRedis.withQueue({
            $0.retryBackoffBase = .milliseconds(20)
            $0.maxAttempts = 3
        }) { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await queue.redis.send(
                RedisCommand(
                    "XADD",
                    queue.keys.stream("default"),
                    "*",
                    "id",
                    "FOREIGN-1",
                    "type",
                    "queue.diagnostic",
                    "payload",
                    #"{"set":"\#(set)","failAttempts":2}"#
                )
            )
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { try await members(set, queue).contains("FOREIGN-1") })
            }
            #expect(try await queue.job("FOREIGN-1")?.attempt == 3)
        }
    }
}
