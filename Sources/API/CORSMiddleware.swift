import HTTPTypes
import Hummingbird

/// CORS for the web UI on a sibling subdomain: requests from an origin in `API_ALLOWED_ORIGINS` get
/// `Access-Control-Allow-Origin: <that origin>` with credentials (the session cookies); preflights are answered
/// here. Other origins get no CORS headers, so browsers keep their responses from scripts.
struct CORSAllowListMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let configuration: APIConfiguration

    static let allowedHeaders = "Content-Type, Authorization, X-Request-Id"
    static let exposedHeaders = "X-Request-Id, Retry-After"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], configuration.allowsOrigin(origin) else {
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
