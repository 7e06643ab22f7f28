import FleetTesting
import Queue
import Testing

/// Searching a queue's dead letters in Redis: every letter, newest first, paged past 1,000, bounded and honest about
/// how far it looked.
@Suite("Dead-letter search")
struct DeadLetterSearchTests {
    @Test("finds by payload, type or id across pages; a count or scan limit stops it and says the search is partial")
    func search() async throws {
        try await TestRedis.withQueue { queue in
            let dead = queue.keys.dead("default")
            var commands: [RedisCommand] = []
            for index in 0..<2_500 {
                let payload = index % 500 == 7 ? #"{"order":"Needle-X \#(index)"}"# : #"{"order":\#(index)}"#
                let type = index == 1_234 ? "wb.sync" : "queue.diagnostic"
                commands.append(
                    RedisCommand(
                        arguments: [
                            "XADD", dead, "*", "id", "JOB-\(index)", "type", type, "payload", payload, "failed", String(1_000 + index), "errors",
                            "[]",
                        ]
                    )
                )
            }
            _ = try await queue.redis.pipeline(commands)

            let all = try await queue.searchDeadLetters("default", text: "  needle-x ")
            #expect(all.letters.map(\.jobId) == ["JOB-2007", "JOB-1507", "JOB-1007", "JOB-507", "JOB-7"])
            #expect(all.scanned == 2_500 && all.complete)
            #expect(try await queue.searchDeadLetters("default", text: "WB.SYNC").letters.map(\.jobId) == ["JOB-1234"])
            #expect(try await queue.searchDeadLetters("default", text: "job-2499").letters.map(\.jobId) == ["JOB-2499"])

            let bounded = try await queue.searchDeadLetters("default", text: "needle-x", scanLimit: 1_200)
            #expect(bounded.letters.map(\.jobId) == ["JOB-2007", "JOB-1507"] && bounded.scanned == 1_200 && !bounded.complete)
            let first = try await queue.searchDeadLetters("default", text: "needle-x", count: 2)
            #expect(first.letters.count == 2 && !first.complete)
            // Stopped at the fifth match (JOB-7): the seven older letters were not looked at, so it is not complete.
            let fifth = try await queue.searchDeadLetters("default", text: "needle-x", count: 5)
            #expect(fifth.letters.count == 5 && fifth.scanned == 2_493 && !fifth.complete, "\(fifth.scanned)")
            let six = try await queue.searchDeadLetters("default", text: "needle-x", count: 6)
            #expect(six.letters.count == 5 && six.scanned == 2_500 && six.complete)

            #expect(try await queue.searchDeadLetters("default", text: "no such text").letters.isEmpty)
            let empty = await #expect(throws: QueueError.self) { _ = try await queue.searchDeadLetters("default", text: "   ") }
            #expect(empty?.code == .invalidArgument)
            await #expect(throws: QueueError.self) { _ = try await queue.searchDeadLetters("bad queue!", text: "x") }
        }
    }
}
