/// An error of sign-in and session checks. The API and the proxy edge turn it into their own answer (401, 429,
/// 503 or 400; the proxy edge sends a browser to sign in); its message says what to do.
public struct AuthError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Kind: Sendable, Equatable {
        /// No valid credentials: a bad, expired or foreign token, or a session that has ended.
        case unauthenticated
        /// A new password (or another value given to sign-in) is not acceptable.
        case invalidInput
        /// Too many attempts; try again after the given wait.
        case rateLimited(retryAfter: Duration)
        /// Something sign-in needs (Redis for the limiter) is not reachable.
        case unavailable
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What happened and what to do.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
