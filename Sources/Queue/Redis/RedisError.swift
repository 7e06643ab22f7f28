/// An error from the Redis client. Its description says what happened and what to check.
public struct RedisError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidURL, connectionFailed, connectionClosed, timeout, authenticationFailed, serverError,
                protocolError, clientShutdown
        }
        fileprivate let base: Base
        /// The configured URL could not be parsed.
        public static var invalidURL: Self { .init(base: .invalidURL) }
        /// No connection could be made (refused, unreachable, DNS).
        public static var connectionFailed: Self { .init(base: .connectionFailed) }
        /// An established connection broke while a command was in flight; the command may or may not have run.
        public static var connectionClosed: Self { .init(base: .connectionClosed) }
        /// Redis did not answer within the command timeout; the connection was closed.
        public static var timeout: Self { .init(base: .timeout) }
        /// AUTH or SELECT was refused.
        public static var authenticationFailed: Self { .init(base: .authenticationFailed) }
        /// Redis answered the command with an error reply (`ERR …`, `NOSCRIPT …`, `WRONGTYPE …`).
        public static var serverError: Self { .init(base: .serverError) }
        /// The reply did not have the shape the caller expected.
        public static var protocolError: Self { .init(base: .protocolError) }
        /// The client was shut down.
        public static var clientShutdown: Self { .init(base: .clientShutdown) }
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A message that says what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether retrying after a pause may succeed (the connection broke or timed out, Redis was loading).
    public var isTransient: Bool {
        switch code {
        case .connectionFailed, .connectionClosed, .timeout, .clientShutdown: return true
        case .serverError:
            return message.hasPrefix("LOADING") || message.hasPrefix("BUSY") || message.hasPrefix("TRYAGAIN")
                || message.hasPrefix("MASTERDOWN")
        default: return false
        }
    }

    /// For a server error reply, its first word (`NOSCRIPT`, `WRONGTYPE`, `ERR`, `NOGROUP`, `BUSYGROUP`).
    public var serverErrorPrefix: Substring? {
        guard code == .serverError else { return nil }
        return message.prefix { $0 != " " }
    }

    public var description: String { "Redis error (\(code)): \(message)" }
}
