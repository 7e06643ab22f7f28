import FleetCore
import FleetTesting
import Foundation
import Queue
import Synchronization
import Testing

/// Follow-ups are checked where they enter; a job whose outcome Redis refuses fails alone.
@Suite("Follow-ups")
struct FollowUpTests {
    @Test("enqueueOnSuccess refuses an invalid request at once")
    func enqueueOnSuccessThrows() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let errors = Mutex<[String]>([])
            var registry = JobRegistry()
            registry.register(DiagnosticJob.type) { payload, context in
                for bad in [JobRequest(type: "x", payload: "{nope"), JobRequest(type: "x", payload: "{}", queue: "bad queue!")] {
                    do {
                        try context.enqueueOnSuccess(bad)
                    } catch let error as QueueError {
                        errors.withLock { $0.append(error.message) }
                    }
                }
                try await DiagnosticJob.run(payload, context)
            }
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set))
            try await withWorker(queue: queue, registry: registry, configuration: .testing()) { _ in
                #expect(await eventually { try await members(set, queue).contains(job.id) })
                #expect(await eventually { try await queue.job(job.id)?.state == "completed" })
            }
            let messages = errors.withLock { $0 }
            #expect(messages.count == 2)
            #expect(messages.first?.contains("payload is not valid JSON") == true && messages.last?.contains("queue name") == true)
        }
    }

    @Test("an entry whose `next` holds an invalid follow-up is dead-lettered saying why; one without options runs")
    func admissionChecksNext() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await queue.ensureGroup("default")
            let stream = queue.keys.stream("default")
            let payload = #"{"set":"\#(set)"}"#
            let entries: [(String, String)] = [
                ("BADNEXT-1", #"[{"type":"queue.diagnostic","payload":"{nope"}]"#),
                ("BADNEXT-2", #"[{"type":"queue.diagnostic","payload":"{}","queue":"bad queue!"}]"#),
                ("BADNEXT-3", #"{"type":"queue.diagnostic"}"#),
                ("GOODNEXT-1", #"[{"type":"queue.diagnostic","payload":"{\"set\":\"\#(set)\"}","id":"CHILD-1"}]"#),
            ]
            for (id, next) in entries {
                try await queue.redis.send(RedisCommand("XADD", stream, "*", "id", id, "type", "queue.diagnostic", "payload", payload, "next", next))
            }
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { try await members(set, queue).isSuperset(of: ["GOODNEXT-1", "CHILD-1"]) })
                #expect(await eventually { try await queue.stats("default").dead == 3 })
            }
            let letters = Dictionary(try await queue.deadLetters("default").map { ($0.jobId, $0.errors) }, uniquingKeysWith: { a, _ in a })
            #expect(letters["BADNEXT-1"]?.contains("invalid follow-up (1 of 1)") == true && letters["BADNEXT-1"]?.contains("not valid JSON") == true)
            #expect(letters["BADNEXT-2"]?.contains("queue name") == true)
            #expect(letters["BADNEXT-3"]?.contains("not a JSON array") == true)
            #expect(letters.values.allSatisfy { !$0.contains("crash or hang") })
            #expect(try await members(set, queue).isDisjoint(with: ["BADNEXT-1", "BADNEXT-2", "BADNEXT-3"]))
        }
    }

    @Test("a completion Redis refuses fails alone: its batch mates are acknowledged once, nothing runs twice")
    func badCompletionFailsAlone() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let counts = set + ":n"
            let clash = JobType<DiagnosticJob.Payload>(name: "test.clash")
            var registry = diagnosticRegistry()
            registry.register(clash) { payload, context in
                // Reports progress (so its completion updates its record), then something else takes the record's key.
                try await context.reportProgress(["step": 1])
                try await context.queueEngine.redis.send(RedisCommand("DEL", context.queueEngine.keys.record(context.id)))
                try await context.queueEngine.redis.send(RedisCommand("SET", context.queueEngine.keys.record(context.id), "not a hash"))
                try await DiagnosticJob.run(payload, context)
            }
            var requests = try (0..<30).map { _ in try JobRequest(DiagnosticJob.type, .init(set: set, counts: counts, sleepMs: 100)) }
            requests.insert(try JobRequest(clash, .init(set: set, counts: counts, sleepMs: 100), id: "CLASH-1"), at: 15)
            _ = try await queue.enqueue(requests)
            var configuration = QueueWorker.Configuration.testing(concurrency: 31, lease: .seconds(1))
            configuration.reclaimInterval = .milliseconds(200)
            let start = ContinuousClock.now
            try await withWorker(queue: queue, registry: registry, configuration: configuration) { _ in
                #expect(await eventually { try await queue.stats("default").counters["processed"] == 30 })
                #expect(await eventually { try await queue.stats("default").dead == 1 })
                try await Task.sleep(for: .milliseconds(1500))
            }
            #expect(ContinuousClock.now - start < .seconds(8))
            let runs = try await queue.redis.send(RedisCommand("HVALS", counts)).array?.compactMap(\.int) ?? []
            #expect(runs.count == 31 && runs.allSatisfy { $0 == 1 }, "runs per job: \(runs)")
            let letter = try #require(try await queue.deadLetters("default").first)
            #expect(letter.jobId == "CLASH-1" && letter.errors.contains("could not be recorded") && letter.errors.contains("WRONGTYPE"))
            #expect(try await queue.stats("default").counters["processed"] == 30)
        }
    }
}
