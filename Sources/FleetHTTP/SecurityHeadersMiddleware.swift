import HTTPTypes
import Hummingbird

/// Security headers on every response, errors included (it is the outermost middleware): `nosniff`, framing refused,
/// no referrer, HSTS (`API_HSTS_MAX_AGE` in the API), and a Content-Security-Policy: pages (Swagger UI) may load
/// only this API's own files; anything else may load nothing.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let hstsMaxAge: Int

    /// Headers with HSTS for `hstsMaxAge` seconds (0: no HSTS header).
    public init(hstsMaxAge: Int) {
        self.hstsMaxAge = hstsMaxAge
    }

    /// The policy of HTML pages: own scripts, styles (Swagger UI sets inline styles) and images only.
    static var pagePolicy: String {
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    }
    /// The policy of everything else (JSON, files): nothing may be loaded or framed.
    static var dataPolicy: String { "default-src 'none'; frame-ancestors 'none'" }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
