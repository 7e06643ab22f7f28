import FleetCore
import Logging

/// Maps job type names to handlers. Build it once at start-up, then hand it to ``QueueWorker``.
///
/// ```swift
/// var registry = JobRegistry()
/// registry.register(.diagnostic) { payload, context in try await DiagnosticJob.run(payload, context) }
/// ```
public struct JobRegistry: Sendable {
    /// A handler that decodes its payload itself.
    public typealias Handler = @Sendable (_ payload: String, _ context: JobContext) async throws -> Void

    private var handlers: [String: Handler] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Registers `handler` for jobs of `type`. A payload that does not decode fails the job permanently.
    public mutating func register<Payload>(_ type: JobType<Payload>, handler: @escaping @Sendable (Payload, JobContext) async throws -> Void) {
        handlers[type.name] = { text, context in
            let payload: Payload
            do {
                payload = try JSONCoding.decode(Payload.self, from: text)
            } catch {
                throw JobFailure.permanent("the payload does not match job type \(type.name): \(error)")
            }
            try await handler(payload, context)
        }
    }

    /// Registers a handler that takes the raw JSON payload.
    public mutating func register(name: String, handler: @escaping Handler) {
        handlers[name] = handler
    }

    /// The handler for `name`, if registered.
    public func handler(for name: String) -> Handler? { handlers[name] }

    /// Registered type names, sorted.
    public var names: [String] { handlers.keys.sorted() }
}
