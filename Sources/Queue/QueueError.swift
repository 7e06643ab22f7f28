/// An error from the queue engine. Its description says what happened and what to do.
public struct QueueError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidArgument, malformedEntry, unknownJobType, notFound, redis
        }
        fileprivate let base: Base
        /// A caller passed a value the queue cannot use (bad queue name, negative delay, invalid payload JSON).
        public static var invalidArgument: Self { .init(base: .invalidArgument) }
        /// A stream entry is not a valid job envelope (missing fields, invalid values).
        public static var malformedEntry: Self { .init(base: .malformedEntry) }
        /// No handler is registered for a job's type.
        public static var unknownJobType: Self { .init(base: .unknownJobType) }
        /// No job, dead letter or queue with that id or name.
        public static var notFound: Self { .init(base: .notFound) }
        /// Redis failed underneath; see ``QueueError/underlying``.
        public static var redis: Self { .init(base: .redis) }
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// The error underneath, if any.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(message) (\(underlying))" }
        return message
    }
}
