import FleetCore
import FleetTesting
import Foundation
import Testing

@testable import Queue

/// `queue job` tells the truth about finished, deleted and malformed jobs.
@Suite("Job info")
struct JobInfoTests {
    @Test("a completed job reads as completed whatever the reader's QUEUE_COMPLETED_TTL")
    func bucketWidthIndependent() async throws {
        try await TestRedis.withQueue({ $0.completedTTL = .seconds(7200) }) { queue in
            let set = "\(queue.configuration.prefix):ran"
            let job = try await queue.enqueue(DiagnosticJob.type, .init(set: set))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { try await queue.job(job.id)?.state == "completed" })
            }
            for ttl in [Duration.seconds(5), .seconds(60), .seconds(86400)] {
                var configuration = queue.configuration
                configuration.completedTTL = ttl
                let reader = StreamQueue(redis: queue.redis, configuration: configuration)
                let info = try await reader.job(job.id)
                #expect(info?.state == "completed" && info?.attempt == 1, "reader TTL \(ttl): \(String(describing: info))")
            }
        }
    }

    @Test("a waiting job is found without a scan: by its record's entry, its ULID's time window, or the id index")
    func findsWaitingJobs() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            let stream = queue.keys.stream("default")
            // 3,000 entries before the jobs looked for: a scan limit of 10 proves none of them is read.
            for _ in 0..<3 {
                _ = try await queue.enqueue(try (0..<1000).map { _ in try JobRequest(DiagnosticJob.type, .init(set: "x")) })
            }
            let ulid = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"))
            let custom = try await queue.enqueue(try JobRequest(DiagnosticJob.type, .init(set: "x"), id: "CUSTOM-1"))
            // A producer whose clock is an hour behind Redis: the entry is far from the time in its ULID, so the
            // enqueue script indexes it like a custom id.
            let skewed = try await queue.enqueue(
                try JobRequest(DiagnosticJob.type, .init(set: "x"), id: JobID.make(nowMs: SystemClock.nowMs() - 3_600_000))
            )
            for id in [ulid.id, custom.id, skewed.id] {
                let info = try await queue.job(id, scanLimit: 10)
                #expect(info?.state == "queued" && info?.entryId != nil, "\(id): \(String(describing: info))")
            }
            #expect(try await queue.redis.send(RedisCommand("HLEN", stream + ":ids")).int == 2)
            // Finished jobs leave the index (and read from their done records).
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually(timeout: .seconds(30)) { try await queue.job(custom.id)?.state == "completed" })
                #expect(await eventually(timeout: .seconds(30)) { try await queue.job(skewed.id)?.state == "completed" })
            }
            #expect(try await queue.redis.send(RedisCommand("HLEN", stream + ":ids")).int == 0)
            // A plain-XADD producer that neither uses ULIDs nor writes the index is not found (docs/wire-format.md).
            try await queue.redis.send(RedisCommand("XADD", stream, "*", "id", "FOREIGN-1", "type", "queue.diagnostic", "payload", "{}"))
            #expect(try await queue.job("FOREIGN-1", scanLimit: 10) == nil)
        }
    }

    @Test("a dead job deleted with `queue delete` is no longer known, not `queued`")
    func deletedDeadJob() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            // An older job stays pending, so the acknowledged entries after it are not trimmed.
            try await queue.ensureGroup("default")
            _ = try await queue.enqueue(DiagnosticJob.type, .init(set: set))
            _ = try await queue.fetch(consumer: "holder", queues: ["default"], count: 1)
            let doomed = try await queue.enqueue(DiagnosticJob.type, .init(set: set, failAttempts: 9, permanent: true))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing(lease: .seconds(30))) { _ in
                #expect(await eventually { try await queue.job(doomed.id)?.state == "dead" })
            }
            try await queue.deleteDead(doomed.id)
            #expect(try await queue.job(doomed.id) == nil)
        }
    }

    @Test("an id-less or badly named malformed entry is listed and recorded under one id that job, retry and delete reach")
    func malformedIds() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            let stream = queue.keys.stream("default")
            try await queue.redis.send(RedisCommand("XADD", stream, "*", "type", "queue.diagnostic", "payload", "{}"))
            try await queue.redis.send(RedisCommand("XADD", stream, "*", "id", "BAD ID/1", "type", "queue.diagnostic"))
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { try await queue.stats("default").dead == 2 })
            }
            let letters = try await queue.deadLetters("default")
            for letter in letters {
                #expect(letter.jobId.hasPrefix("entry-"))
                #expect(try await queue.job(letter.jobId)?.state == "dead", "\(letter.jobId)")
            }
            try await queue.deleteDead("BAD ID/1")
            #expect(try await queue.deadLetters("default").count == 1)
            let idless = try #require(try await queue.deadLetters("default").first)
            try await queue.deleteDead(idless.jobId)
            #expect(try await queue.deadLetters("default").isEmpty)
            #expect(try await queue.job(idless.jobId) == nil)
        }
    }

    @Test("the enqueue script refuses a unit without `id`, or with a zero unique TTL, and writes nothing of its call")
    func enqueueScriptChecksFirst() async throws {
        try await TestRedis.withQueue { queue in
            let prefix = queue.configuration.prefix
            let good = ["default", "GOOD-1", "0", "", "1000", "", "6", "id", "GOOD-1", "type", "queue.diagnostic", "payload", "{}"]
            let noId = ["default", "NOID-1", String(SystemClock.nowMs() + 60_000), "", "1000", "", "4", "type", "queue.diagnostic", "payload", "{}"]
            let zeroTTL = ["default", "ZERO-1", "0", "u", "0", "", "6", "id", "ZERO-1", "type", "queue.diagnostic", "payload", "{}"]
            for (bad, reason) in [(noId, "'id'"), (zeroTTL, "uniqueTTLms")] {
                let error = await #expect(throws: RedisError.self) {
                    try await queue.redis.evaluate(QueueScripts.enqueue, keys: [], arguments: [prefix, "workers", "0", "2"] + good + bad)
                }
                #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
            }
            let keys = try await queue.redis.send(RedisCommand("KEYS", "\(prefix):*")).array ?? []
            #expect(keys.isEmpty, "\(keys)")
            let refused = await #expect(throws: QueueError.self) {
                try await queue.enqueue(JobRequest(type: "x", payload: "{}", options: .init(uniqueKey: "u", uniqueTTLms: 0)))
            }
            #expect(refused?.message.contains("uniqueTTL") == true)
        }
    }
}
