import Crypto
import FleetAuth
import FleetHTTP
import Foundation
import Hummingbird
import Synchronization

/// Registers endpoints on the router behind their access rule, and remembers them for the OpenAPI document and the
/// role-matrix test.
public final class APIRoutes: @unchecked Sendable {
    /// A route handler.
    public typealias Handler = @Sendable (Request, APIRequestContext) async throws -> Response

    let router: Router<APIRequestContext>
    let authenticator: Authenticator
    let internalSecret: String?
    let requestTimeout: Duration
    /// Every endpoint registered, in order (read by the middleware on every request while routes may still be
    /// added by whoever builds the server: kept under a lock, not as a bare mutable array).
    public var endpoints: [Endpoint] { registered.withLock { $0 } }
    private let registered = Mutex<[Endpoint]>([])

    init(router: Router<APIRequestContext>, authenticator: Authenticator, internalSecret: String?, requestTimeout: Duration) {
        self.router = router
        self.authenticator = authenticator
        self.internalSecret = internalSecret
        self.requestTimeout = requestTimeout
    }

    /// Registers `endpoint` with `handler`, which runs only for callers `endpoint.access` admits.
    func add(_ endpoint: Endpoint, _ handler: @escaping Handler) {
        registered.withLock { $0.append(endpoint) }
        let authenticator = self.authenticator
        let secret = internalSecret
        let timeout = requestTimeout
        router.on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context in
            try await withDeadline(timeout, onTimeout: { Self.timedOut(timeout) }) {
                try await Self.serve(endpoint, request, context, authenticator: authenticator, secret: secret, handler: handler)
            }
        }
    }

    static func timedOut(_ timeout: Duration) -> APIError {
        APIError.unavailable(
            "the request took longer than \(timeout.components.seconds) s (API_REQUEST_TIMEOUT); PostgreSQL, Redis, S3 or WB may be down — try again shortly"
        )
    }

    /// Checks `endpoint.access` for the caller, then runs `handler`.
    static func serve(
        _ endpoint: Endpoint,
        _ request: Request,
        _ context: APIRequestContext,
        authenticator: Authenticator,
        secret: String?,
        handler: Handler
    ) async throws -> Response {
        var context = context
        switch endpoint.access {
        case .anyone:
            break
        case .internalSecret:
            guard let secret, let given = request.headers[.xInternalSecret], SharedSecret.equals(given, secret) else {
                throw APIError.notFound("no such endpoint; see /api/openapi.json")
            }
        case .signedIn, .roles:
            let principal = try await authenticator.authenticate(request, &context)
            guard endpoint.access.admits(principal.roles) else {
                throw APIError.forbidden(Self.refusal(endpoint.access, principal))
            }
        }
        return try await handler(request, context)
    }

    /// The methods registered for `path` (a concrete request path), for 405 answers. Endpoints behind the internal
    /// secret are counted only when `revealInternal` (the caller sent the secret): to everyone else `/internal`
    /// answers 404 whatever the method.
    public func methods(matching path: String, revealInternal: Bool = false) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return registered.withLock { $0 }.filter { endpoint in
            if case .internalSecret = endpoint.access, !revealInternal { return false }
            let pattern = endpoint.path.split(separator: "/", omittingEmptySubsequences: false)
            return pattern.count == segments.count
                && zip(pattern, segments).allSatisfy { ($0.hasPrefix("{") && $0.hasSuffix("}") && !$1.isEmpty) || $0 == $1 }
        }.map(\.method.rawValue)
    }

    /// Whether `request` carries the configured internal secret.
    func carriesInternalSecret(_ request: Request) -> Bool {
        guard let internalSecret, let given = request.headers[.xInternalSecret] else { return false }
        return SharedSecret.equals(given, internalSecret)
    }

    static func refusal(_ access: Access, _ principal: Principal) -> String {
        guard case .roles(let allowed) = access else { return "not allowed" }
        let needed = allowed.sorted().map(\.rawValue).joined(separator: ", ")
        let held = principal.roles.isEmpty ? "none" : principal.roles.map(\.rawValue).joined(separator: ", ")
        return "this needs one of the roles \(needed); yours: \(held). Ask an admin to grant one."
    }
}
