import FleetCore
import FleetTesting
import Foundation
import Testing

@testable import Queue

@Suite("Enqueue")
struct EnqueueTests {
    @Test("single, bulk, delayed, unique and debounced enqueues")
    func enqueueModes() async throws {
        try await TestRedis.withQueue { queue in
            let payload = DiagnosticJob.Payload(set: "s")
            let single = try await queue.enqueue(DiagnosticJob.type, payload)
            #expect(single.status == .queued && single.entryId != nil && single.queue == "default")
            #expect(JobID.timestampMs(of: single.id) != nil)

            let bulk = try await queue.enqueue((0..<2500).map { _ in try JobRequest(DiagnosticJob.type, payload, queue: "bulk") })
            #expect(bulk.count == 2500 && Set(bulk.map(\.id)).count == 2500 && bulk.allSatisfy { $0.status == .queued })
            #expect(try await queue.stats("bulk").waiting == 2500)

            let delayed = try await queue.enqueue(DiagnosticJob.type, payload, options: .init(delayMs: 60_000))
            #expect(delayed.status == .delayed)
            #expect(try await queue.job(delayed.id)?.state == "delayed")

            let first = try await queue.enqueue(DiagnosticJob.type, payload, options: .init(uniqueKey: "u1"))
            let second = try await queue.enqueue(DiagnosticJob.type, payload, options: .init(uniqueKey: "u1"))
            #expect(first.status == .queued && second.status == .duplicate && second.id == first.id)

            let d1 = try await queue.enqueue(
                DiagnosticJob.type,
                DiagnosticJob.Payload(set: "v1"),
                options: .init(delayMs: 30_000, debounceKey: "kpi")
            )
            let d2 = try await queue.enqueue(
                DiagnosticJob.type,
                DiagnosticJob.Payload(set: "v2"),
                options: .init(delayMs: 30_000, debounceKey: "kpi")
            )
            #expect(d1.status == .delayed && d2.status == .debounced && d2.id == d1.id)
            let info = try await queue.job(d1.id)
            #expect(info?.payload?.contains("v2") == true)
            #expect(try await queue.stats("default").delayed == 2)
        }
    }

    @Test("bad requests get clear errors and nothing is enqueued")
    func badRequests() async throws {
        try await TestRedis.withQueue { queue in
            let cases: [(JobRequest, String)] = [
                (JobRequest(type: "x", payload: "{not json"), "not valid JSON"),
                (JobRequest(type: "x", payload: "{}", queue: "bad queue!"), "queue name"),
                (JobRequest(type: "x", payload: "{}", id: "has space"), "id"),
                (JobRequest(type: "", payload: "{}"), "type name"),
                (JobRequest(type: "x", payload: "{}", options: .init(delayMs: -5)), "negative"),
                (JobRequest(type: "x", payload: "{}", options: .init(debounceKey: "k")), "debouncing needs a delay"),
                (JobRequest(type: "x", payload: "{}", options: .init(concurrencyLimit: 2)), "concurrency key"),
                (JobRequest(type: "x", payload: "{}", options: .init(maxAttempts: 0)), "maxAttempts"),
            ]
            for (request, fragment) in cases {
                let error = await #expect(throws: QueueError.self) { try await queue.enqueue([JobRequest(type: "ok", payload: "{}"), request]) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "") should mention \(fragment)")
            }
            let names = try await queue.queueNames()
            #expect(names.isEmpty)
        }
    }
}

@Suite("Done records")
struct DoneRecordTests {
    @Test("records are valid JSON whatever the worker and type names hold, and parse back")
    func roundTrip() throws {
        for (worker, type) in [("plain-1", "queue.noop"), ("quote\"back\\slash", "tab\tnew\nline\u{1}")] {
            let record = DoneRecord(state: "completed", finished: 1_795_000_000_000, attempt: 2, worker: worker, type: type, result: #"{"rows":3}"#)
            let object = try JSONSerialization.jsonObject(with: Data(record.json.utf8)) as? [String: Any]
            #expect(object?["worker"] as? String == worker && object?["type"] as? String == type)
            #expect(DoneRecord.parse(record.json) == record)
        }
    }
}
