import Hummingbird

/// A request context the shared middleware can work with: it carries the request id (set by
/// ``RequestIDMiddleware``, quoted in every error body) and the body limit ``JSONBodies`` applies.
///
/// The API's and the proxy edge's contexts conform; a context needs only storage for the two:
/// ```swift
/// struct EdgeContext: FleetRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var requestID = ""
///     var maxBody = 1 << 20
///     init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
/// }
/// ```
public protocol FleetRequestContext: RequestContext {
    /// The request id: the caller's `X-Request-Id` when it is sane, else a new one.
    var requestID: String { get set }
    /// The largest body ``JSONBodies`` collects, in bytes.
    var maxBody: Int { get set }
}
