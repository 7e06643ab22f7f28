/// Why a WB call failed, sorted by what the caller should do about it.
public enum WBError: Error, CustomStringConvertible, Sendable {
    /// WB answered 401: do not retry until the token changes.
    case tokenRejected(String)
    /// The token failed the local check before any request (not a WB JWT, expired, a test token, a missing scope):
    /// do not send it until it changes.
    case tokenUnusable(String)
    /// WB's rate limit says come back later than the caller is willing to wait inline.
    case rateLimited(retryAfter: Duration, detail: String)
    /// WB kept failing (5xx, timeouts, broken connections) through every retry.
    case unavailable(String)
    /// WB refused the request itself (400, 403, 404, …): retrying the same request will not help.
    case rejected(status: Int, body: String)
    /// WB answered 200 with a body that is not what the contract says (e.g. truncated JSON), through every retry.
    case malformedResponse(String)

    public var description: String {
        switch self {
        case .tokenRejected(let detail): return "WB refused the token: \(detail)"
        case .tokenUnusable(let detail): return "the WB token cannot be used: \(detail)"
        case .rateLimited(let after, let detail): return "WB rate limit: retry in \(after.components.seconds) s (\(detail))"
        case .unavailable(let detail): return "WB unavailable after retries: \(detail)"
        case .rejected(let status, let body): return "WB refused the request with HTTP \(status): \(body.prefix(500))"
        case .malformedResponse(let detail): return "WB sent a malformed response: \(detail)"
        }
    }
}
