import FleetCore
import FleetTesting
import Foundation
import Queue
import Testing

/// Runs `joycity queue …` as a user would, against the test Redis.
@Suite("queue CLI")
struct QueueCLITests {
    func run(_ arguments: [String], _ queue: StreamQueue, stdin: String? = nil) async throws -> (status: Int32, output: String) {
        var env = ["QUEUE_PREFIX": queue.configuration.prefix]
        if let url = ProcessInfo.processInfo.environment["REDIS_URL"] { env["REDIS_URL"] = url }
        let process = try FleetProcess(["queue"] + arguments, environment: env)
        let status = await process.waitForExit(timeout: .seconds(20))
        return (status ?? -1, process.output)
    }

    @Test("enqueue, list, job, pause, resume, cancel, dead, retry, delete and purge from the shell")
    func commands() async throws {
        try await TestRedis.withQueue { queue in
            let enqueued = try await run(["enqueue", "queue.diagnostic", "--payload", #"{"set":"cli"}"#, "--unique", "u", "--json"], queue)
            #expect(enqueued.status == 0)
            let result = try JSONSerialization.jsonObject(with: Data(enqueued.output.utf8)) as? [String: Any]
            let id = try #require(result?["id"] as? String)
            #expect(result?["status"] as? String == "queued")
            let duplicate = try await run(["enqueue", "queue.diagnostic", "--payload", #"{"set":"cli"}"#, "--unique", "u"], queue)
            #expect(duplicate.output.contains("\(id) already queued or running"))

            let list = try await run(["list", "--json", "--sample", "0"], queue)
            let rows = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]]
            let stats = rows?.first?["stats"] as? [String: Any]
            #expect(stats?["name"] as? String == "default" && stats?["waiting"] as? Int == 1)

            let job = try await run(["job", id], queue)
            #expect(job.status == 0 && job.output.contains("state       queued") && job.output.contains(#"{"set":"cli"}"#))
            #expect(job.output.contains("attempt     1 of 5"))

            #expect(try await run(["pause", "default"], queue).status == 0)
            #expect(try await queue.stats("default").paused)
            #expect(try await run(["resume", "default"], queue).status == 0)
            #expect(try await !queue.stats("default").paused)

            let cancel = try await run(["cancel", id], queue)
            #expect(cancel.status == 0 && cancel.output.contains("cancellation of job \(id) requested"))

            // A dead letter to retry and delete.
            try await queue.ensureGroup("default")
            try await queue.redis.send(RedisCommand("XADD", queue.keys.stream("default"), "*", "id", "BROKEN-1", "type", "queue.diagnostic"))
            let delivered = try await queue.fetch(consumer: "cli-test", queues: ["default"], count: 10)
            let broken = try #require(delivered.first { $0.jobId == "BROKEN-1" })
            _ = try await queue.fail(
                [
                    FailureReport(
                        queue: "default",
                        entryId: broken.entryId,
                        deliveries: broken.deliveries,
                        jobId: "BROKEN-1",
                        fields: broken.fields.flatMap { [$0.0, $0.1] },
                        uniqueKey: nil,
                        concurrencyKey: nil,
                        concurrencyLimit: nil,
                        errorJSON: #"{"error":"missing field 'payload'"}"#,
                        retryAtMs: nil
                    )
                ],
                consumer: "cli-test"
            )
            let dead = try await run(["dead", "default"], queue)
            #expect(dead.output.contains("BROKEN-1") && dead.output.contains("missing field 'payload'"))
            let found = try await run(["dead", "default", "--search", "broken-1"], queue)
            #expect(found.status == 0 && found.output.contains("BROKEN-1"), "\(found.output)")
            let notFound = try await run(["dead", "default", "--search", "nothing-like-it"], queue)
            #expect(notFound.status == 0 && notFound.output.contains("no dead letters"))
            #expect(try await run(["dead", "--search", "  "], queue).output.contains("--search takes 1 to 200 bytes"))
            #expect(try await run(["retry", "BROKEN-1"], queue).status == 0)
            #expect(try await queue.stats("default").dead == 0)
            let missing = try await run(["delete", "BROKEN-1"], queue)
            #expect(missing.status != 0 && missing.output.contains("no dead letter holds job BROKEN-1"))

            _ = try await queue.enqueue(DiagnosticJob.type, .init(set: "cli"), options: .init(delayMs: 60_000))
            let refused = try await run(["purge", "default"], queue)
            #expect(refused.status != 0 && refused.output.contains("not confirmed"))
            let purged = try await run(["purge", "default", "--yes"], queue)
            #expect(purged.status == 0 && purged.output.contains("1 delayed"))
            #expect(try await queue.stats("default").delayed == 0)
        }
    }

    @Test("bad arguments give a usage error and a non-zero exit")
    func badArguments() async throws {
        try await TestRedis.withQueue { queue in
            let noId = try await run(["retry"], queue)
            #expect(noId.status != 0 && noId.output.contains("give either a job id or --all"))
            let badDelay = try await run(["enqueue", "queue.diagnostic", "--delay", "soon"], queue)
            #expect(badDelay.status != 0 && badDelay.output.contains("--delay soon is not a duration"))
            let badJSON = try await run(["enqueue", "queue.diagnostic", "--payload", "{"], queue)
            #expect(badJSON.status != 0 && badJSON.output.contains("not valid JSON"))
            let badQueue = try await run(["pause", "no spaces"], queue)
            #expect(badQueue.status != 0 && badQueue.output.contains("queue name"))
            let unknown = try await run(["job", "NOPE"], queue)
            #expect(unknown.status != 0 && unknown.output.contains("no job NOPE is known"))
        }
    }

    @Test("an unusable REDIS_URL exits 78, like every configuration error")
    func invalidRedisURL() async throws {
        for url in ["127.0.0.1:6379", "redis://127.0.0.1:99999", "rediss://127.0.0.1:6379"] {
            let process = try FleetProcess(["queue", "list"], environment: ["REDIS_URL": url])
            let status = await process.waitForExit(timeout: .seconds(20))
            #expect(status == 78, "REDIS_URL=\(url): exit \(String(describing: status)), \(process.output)")
            #expect(process.output.contains("REDIS_URL"))
        }
    }

    @Test("unknown queues, unknown job types, negative or unparsable delays and a zero limit are refused")
    func refusals() async throws {
        try await TestRedis.withQueue { queue in
            _ = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"))
            for verb in ["pause", "resume", "purge", "dead"] {
                var arguments = [verb, "typo"]
                if verb == "purge" { arguments.append("--yes") }
                let result = try await run(arguments, queue)
                #expect(
                    result.status != 0 && result.output.contains("no queue \"typo\" is known") && result.output.contains("default"),
                    "\(verb): \(result.output)"
                )
            }
            #expect(try await queue.redis.send(RedisCommand("SISMEMBER", queue.keys.paused, "typo")).int == 0)
            #expect(try await queue.queueNames() == ["default"])
            let forced = try await run(["pause", "later", "--force"], queue)
            let laterPaused = try await queue.stats("later").paused
            #expect(forced.status == 0 && laterPaused)

            let type = try await run(["enqueue", "no.such.type"], queue)
            #expect(
                type.status != 0 && type.output.contains("no worker of this build runs job type \"no.such.type\"")
                    && type.output.contains("queue.diagnostic")
            )
            let typeForced = try await run(["enqueue", "no.such.type", "--force"], queue)
            #expect(typeForced.status == 0 && typeForced.output.contains("queued"))
            let negative = try await run(["enqueue", "queue.diagnostic", "--delay", "-5s"], queue)
            #expect(negative.status != 0 && negative.output.contains("--delay must not be negative"))
            let garbage = try await run(["enqueue", "queue.diagnostic", "--delay", "abc"], queue)
            #expect(garbage.status != 0 && garbage.output.contains("--delay abc is not a duration") && garbage.output.contains("queue enqueue"))
            let zero = try await run(["dead", "--limit", "0"], queue)
            #expect(zero.status != 0 && zero.output.contains("--limit must be from 1"))
        }
    }

    @Test("purge counts only jobs still waiting, not delivered or acknowledged entries awaiting trimming")
    func purgeCountsWaiting() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            _ = try await queue.enqueue((0..<3).map { _ in try JobRequest(DiagnosticJob.type, .init(set: "x")) })
            let taken = try await queue.fetch(consumer: "c", queues: ["default"], count: 2)
            #expect(taken.count == 2)
            let done = try await queue.complete(
                taken.map { Completion(queue: "default", entryId: $0.entryId, deliveries: $0.deliveries, envelope: try $0.envelope.get()) },
                consumer: "c"
            )
            #expect(done == [true, true])
            let purged = try await run(["purge", "default", "--yes"], queue)
            #expect(purged.status == 0 && purged.output.contains("purged 1 waiting"), "\(purged.output)")
            // A completed job's record has no attempt limit: its attempt is printed alone, not "of 0".
            let completed = try await run(["job", try #require(taken[0].jobId)], queue)
            #expect(completed.output.contains("state       completed") && completed.output.contains("attempt     1\n"), "\(completed.output)")
        }
    }
}
