import HTTPTypes
import Hummingbird

/// Security headers on every response, errors included (it is the outermost middleware): `nosniff`, framing refused,
/// no referrer, HSTS (``APIConfiguration/hstsMaxAge``), and a Content-Security-Policy: pages (Swagger UI) may load
/// only this API's own files; anything else may load nothing.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let hstsMaxAge: Int

    /// The policy of HTML pages: own scripts, styles (Swagger UI sets inline styles) and images only.
    static let pagePolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    /// The policy of everything else (JSON, files): nothing may be loaded or framed.
    static let dataPolicy = "default-src 'none'; frame-ancestors 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        apply(to: &response.headers)
        return response
    }

    func apply(to headers: inout HTTPFields) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
        if hstsMaxAge > 0 { headers[.strictTransportSecurity] = "max-age=\(hstsMaxAge); includeSubDomains" }
        let isPage = headers[.contentType]?.lowercased().hasPrefix("text/html") == true
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = isPage ? Self.pagePolicy : Self.dataPolicy }
    }
}

extension HTTPField.Name {
    static var xFrameOptions: Self { .init("X-Frame-Options")! }
    static var referrerPolicy: Self { .init("Referrer-Policy")! }
}
