/// An S3 request that failed; the description says what to check.
public struct S3Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure, which decides whether a retry can help.
    public enum Kind: String, Sendable {
        /// The endpoint could not be reached or the connection broke (retry later).
        case unreachable
        /// The credentials were refused: unknown key, wrong secret, expired token, no permission (fix the
        /// configuration; retrying does not help).
        case credentials
        /// The bucket, key or upload does not exist.
        case notFound
        /// The service failed or asked to slow down (5xx, `SlowDown`; retry later).
        case server
        /// The request was refused for another reason (4xx).
        case rejected
        /// The answer could not be understood.
        case protocolError
        /// The configuration is incomplete or invalid.
        case configuration
    }

    public let kind: Kind
    /// S3's error code (`SignatureDoesNotMatch`, `NoSuchKey`…), if it sent one.
    public let code: String?
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, code: String? = nil, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    /// Whether trying again later can succeed.
    public var isRetryable: Bool { kind == .unreachable || kind == .server }

    public var description: String { message }

    static let credentialCodes: Set<String> = [
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
        "InvalidClientTokenId", "AuthorizationHeaderMalformed", "RequestTimeTooSkewed",
    ]
}
