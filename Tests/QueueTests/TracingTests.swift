import FleetTesting
import InMemoryTracing
import Queue
import Testing
import Tracing

/// Bootstrapped once for the whole test process; other tests' spans are recorded too and ignored here.
let testTracer: InMemoryTracer = {
    let tracer = InMemoryTracer()
    InstrumentationSystem.bootstrap(tracer)
    return tracer
}()

@Suite("Tracing")
struct TracingTests {
    @Test("a job's consumer span continues the trace that enqueued it")
    func consumerSpanLinksToProducer() async throws {
        let tracer = testTracer
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            let (job, traceID) = try await withSpan("enqueue report sync") { span in
                (try await queue.enqueue(DiagnosticJob.type, .init(set: set)), span.context.inMemorySpanContext?.traceID)
            }
            #expect(traceID != nil)
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(await eventually { tracer.finishedSpans.contains { $0.attributes["job.id"]?.toSpanAttribute() == job.id.toSpanAttribute() } })
            }
            let span = try #require(tracer.finishedSpans.first { $0.attributes["job.id"]?.toSpanAttribute() == job.id.toSpanAttribute() })
            #expect(span.operationName == "queue.diagnostic" && span.kind == .consumer)
            #expect(span.traceID == traceID)
        }
    }
}
