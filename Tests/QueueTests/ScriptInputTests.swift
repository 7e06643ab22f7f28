import FleetCore
import FleetTesting
import Foundation
import Testing

@testable import Queue

/// Redis keeps the writes of a Lua script that fails half-way: every script checks all its arguments before its
/// first write. Each case feeds a script a batch whose first part is valid and whose later part is not, and finds
/// Redis exactly as it was.
@Suite("Script inputs")
struct ScriptInputTests {
    /// Every key under the queue's prefix with its serialized value (streams with their groups and pending entries).
    static func snapshot(_ queue: StreamQueue) async throws -> [String: String] {
        var result: [String: String] = [:]
        var cursor = "0"
        repeat {
            let reply = try await queue.redis.send(RedisCommand("SCAN", cursor, "MATCH", "\(queue.configuration.prefix):*", "COUNT", "1000"))
            let parts = reply.array ?? []
            cursor = parts.first?.string ?? "0"
            for key in parts.last?.array?.compactMap(\.string) ?? [] {
                let dump = try await queue.redis.send(RedisCommand("DUMP", key))
                result[key] = dump.string.map { Data($0.utf8).base64EncodedString() } ?? "\(dump)"
            }
        } while cursor != "0"
        return result
    }

    /// A delivered job with a unique key (so a completion would release it and write its record).
    static func delivered(_ queue: StreamQueue, unique: String) async throws -> Delivery {
        try await queue.ensureGroup("default")
        _ = try await queue.enqueue(DiagnosticJob.type, .init(set: "x"), options: .init(uniqueKey: unique))
        return try #require(try await queue.fetch(consumer: "c1", queues: ["default"], count: 1).first)
    }

    @Test("complete: a valid job followed by one whose follow-up is invalid (uniqueTTLms 0) changes nothing")
    func completeChecksFirst() async throws {
        try await TestRedis.withQueue { queue in
            let delivery = try await Self.delivered(queue, unique: "one")
            let before = try await Self.snapshot(queue)
            let id = try #require(delivery.jobId)
            let extra = ["one", "", "", "0", "completed", "", "1", String(delivery.deliveries)].joined(separator: "\u{1F}")
            let badFollowUp = ["default", "FOLLOW-1", "0", "", "0", "", "6", "id", "FOLLOW-1", "type", "queue.diagnostic", "payload", "{}"]
            let arguments =
                [
                    queue.configuration.prefix, queue.configuration.group, "0", "c1", "60000", "60000", "default", delivery.entryId, delivery.entryId,
                    "0",
                    delivery.entryId, id, "{}", extra, "0",
                    delivery.entryId, "SECOND", "{}", extra, "1",
                ] + badFollowUp
            await #expect {
                _ = try await queue.redis.evaluate(QueueScripts.complete, keys: [], arguments: arguments).throwingError()
            } throws: { error in
                "\(error)".contains("uniqueTTLms")
            }
            #expect(try await Self.snapshot(queue) == before, "the failed call wrote something")
            for broken in [["x"], ["0", "0", "0", "0"]] {
                let cut =
                    [
                        queue.configuration.prefix, queue.configuration.group, "0", "c1", "60000", "60000", "default", delivery.entryId,
                        delivery.entryId,
                        "0", delivery.entryId, id, "{}", extra,
                    ] + broken
                await #expect(throws: (any Error).self) {
                    _ = try await queue.redis.evaluate(QueueScripts.complete, keys: [], arguments: cut).throwingError()
                }
                #expect(try await Self.snapshot(queue) == before)
            }
        }
    }

    @Test("fail: a valid job followed by a malformed one (odd field count, bad error JSON) changes nothing")
    func failChecksFirst() async throws {
        try await TestRedis.withQueue { queue in
            let delivery = try await Self.delivered(queue, unique: "two")
            let before = try await Self.snapshot(queue)
            let id = try #require(delivery.jobId)
            let valid = [
                "default", delivery.entryId, String(delivery.deliveries), id, "two", "", "", #"{"error":"x"}"#, "0", "0", "2", "id", id,
            ]
            for second in [
                ["default", "1-1", "1", "SECOND", "", "", "", #"{"error":"x"}"#, "0", "0", "3", "id", "SECOND", "type"],
                ["default", "1-1", "1", "SECOND", "", "", "", "not json", "0", "0", "0"],
            ] {
                let arguments = [queue.configuration.prefix, queue.configuration.group, "0", "c1", "60000", "1000", "2"] + valid + second
                await #expect(throws: (any Error).self) {
                    _ = try await queue.redis.evaluate(QueueScripts.fail, keys: [], arguments: arguments).throwingError()
                }
                #expect(try await Self.snapshot(queue) == before, "the failed call wrote something")
            }
        }
    }

    @Test("enqueue: a valid unit followed by an invalid one changes nothing")
    func enqueueChecksFirst() async throws {
        try await TestRedis.withQueue { queue in
            try await queue.ensureGroup("default")
            let before = try await Self.snapshot(queue)
            let good = ["default", "GOOD-1", "0", "u1", "60000", "", "6", "id", "GOOD-1", "type", "queue.diagnostic", "payload", "{}"]
            let bad = ["default", "BAD-1", "0", "u2", "0", "", "6", "id", "BAD-1", "type", "queue.diagnostic", "payload", "{}"]
            await #expect(throws: (any Error).self) {
                _ = try await queue.redis.evaluate(
                    QueueScripts.enqueue,
                    keys: [],
                    arguments: [queue.configuration.prefix, queue.configuration.group, "0", "2"] + good + bad
                ).throwingError()
            }
            #expect(try await Self.snapshot(queue) == before)
        }
    }
}
