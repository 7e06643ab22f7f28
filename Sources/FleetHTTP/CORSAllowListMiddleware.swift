import HTTPTypes
import Hummingbird

/// CORS for a web UI on a sibling subdomain: requests from an allowed origin (the API's `API_ALLOWED_ORIGINS`) get
/// `Access-Control-Allow-Origin: <that origin>` with credentials (the session cookies); preflights are answered
/// here. Other origins get no CORS headers, so browsers keep their responses from scripts. It sits outside the
/// middleware that turns errors into responses, so error answers carry the headers too.
public struct CORSAllowListMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowsOrigin: @Sendable (String) -> Bool

    /// CORS for the origins `allowsOrigin` admits (an `Origin` header value in, yes or no out).
    public init(allowsOrigin: @escaping @Sendable (String) -> Bool) {
        self.allowsOrigin = allowsOrigin
    }

    static var allowedHeaders: String { "Content-Type, Authorization, X-Request-Id" }
    static var exposedHeaders: String { "X-Request-Id, Retry-After" }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], allowsOrigin(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = Self.headers(origin)
            headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE"
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        for field in Self.headers(origin) { response.headers.append(field) }
        return response
    }

    static func headers(_ origin: String) -> HTTPFields {
        [
            .accessControlAllowOrigin: origin, .accessControlAllowCredentials: "true", .accessControlExposeHeaders: exposedHeaders,
            .vary: "Origin",
        ]
    }
}
