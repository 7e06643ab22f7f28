import FleetCore
import FleetTesting
import Foundation
import Queue
import Synchronization
import Testing

@Suite("Pause")
struct PauseTests {
    @Test("once pause returns, no job of the queue starts, though jobs keep arriving; resume starts the held ones")
    func noStartAfterPause() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let starts = Mutex<[ContinuousClock.Instant]>([])
            var registry = JobRegistry()
            registry.register(DiagnosticJob.type) { payload, context in
                starts.withLock { $0.append(.now) }
                try await DiagnosticJob.run(payload, context)
            }
            try await queue.ensureGroup("default")
            try await withWorker(queue: queue, registry: registry, configuration: .testing(concurrency: 2)) { worker in
                try await withWorker(queue: queue, registry: registry, configuration: .testing(concurrency: 2)) { _ in
                    #expect(await eventually { try await queue.workers().count == 2 })
                    // A steady stream of short jobs, so fetched and blocked reads are in flight when the pause lands.
                    _ = try await queue.enqueue((0..<40).map { _ in try JobRequest(DiagnosticJob.type, .init(set: set, sleepMs: 30)) })
                    try await Task.sleep(for: .milliseconds(100))
                    let result = try await queue.pause("default")
                    let pausedAt = ContinuousClock.now
                    #expect(result.unconfirmed.isEmpty && result.confirmed.count == 2)
                    var late: [String] = []
                    for _ in 0..<5 {
                        late.append(try await queue.enqueue(DiagnosticJob.type, .init(set: set)).id)
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    try await Task.sleep(for: .milliseconds(700))
                    #expect(starts.withLock { $0.filter { $0 > pausedAt }.count } == 0)
                    #expect(try await members(set, queue).isDisjoint(with: late))
                    try await queue.resume("default")
                    #expect(await eventually { try await members(set, queue).count == 45 })
                    _ = worker
                }
            }
        }
    }

    @Test("pause and resume refuse an unknown queue unless forced")
    func unknownQueue() async throws {
        try await TestRedis.withQueue { queue in
            let pause = await #expect(throws: QueueError.self) { try await queue.pause("typo") }
            #expect(pause?.code == .notFound)
            let resume = await #expect(throws: QueueError.self) { try await queue.resume("typo") }
            #expect(resume?.code == .notFound)
            #expect(try await queue.queueNames().isEmpty)
            let forced = try await queue.pause("typo", force: true)
            #expect(forced == .init(confirmed: [], unconfirmed: []))
            try await queue.resume("typo")
        }
    }
}
