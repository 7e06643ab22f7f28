import FleetCore
import Tracing

/// Trace propagation through the `trace` envelope field: the producer's instrument injects its context into a
/// string map (for W3C tracers, `traceparent` and `tracestate`), stored as a JSON object; the worker extracts it
/// and links the job's consumer span to it. A plain string is read as a W3C `traceparent`.
enum TraceCarrier {
    /// The current task's trace context as a `trace` field value, or `nil` when there is none to carry.
    static func current() -> String? {
        guard let context = ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: MapInjector())
        guard !carrier.isEmpty else { return nil }
        return try? JSONCoding.encode(carrier)
    }

    /// A context holding what `field` carries, for the job's span.
    static func context(from field: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let field, !field.isEmpty else { return context }
        let carrier = (try? JSONCoding.decode([String: String].self, from: field)) ?? ["traceparent": field]
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: MapExtractor())
        return context
    }

    struct MapInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }

    struct MapExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }
}
