import FleetCore
import Foundation
import Hummingbird

/// An error an HTTP server of the fleet (the API, the proxy edge) answers with: an HTTP status and a JSON body `{"error": {"code", "message", "requestId"}}` whose
/// message tells the caller what to do. Never carries a stack, SQL or a secret.
public struct APIError: HTTPResponseError, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    /// A stable machine-readable code (`invalid_input`, `unauthenticated`, `forbidden`, …).
    public let code: String
    /// What happened and what to do.
    public let message: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// 400: the request is malformed or a value is not acceptable.
    public static func invalid(_ message: String) -> APIError { APIError(.badRequest, code: "invalid_input", message) }
    /// 401: no valid credentials.
    public static func unauthenticated(_ message: String = "sign in first (POST /api/auth/login)") -> APIError {
        APIError(.unauthorized, code: "unauthenticated", message, headers: [.wwwAuthenticate: #"Bearer realm="joycity""#])
    }
    /// 403: authenticated, but the roles do not admit this.
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, code: "forbidden", message) }
    /// 404.
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message) }
    /// 409: the request conflicts with the current state.
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, code: "conflict", message) }
    /// 413.
    public static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, code: "too_large", message) }
    /// 415.
    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, code: "unsupported_media_type", message)
    }
    /// 422: well-formed, but refused by a rule (a token WB rejects, a protected admin).
    public static func unprocessable(code: String = "unprocessable", _ message: String) -> APIError {
        APIError(.unprocessableContent, code: code, message)
    }
    /// 429 with `Retry-After`.
    public static func tooManyRequests(_ message: String, retryAfter: Duration) -> APIError {
        let seconds = max(1, Int((retryAfter.milliseconds + 999) / 1000))
        return APIError(.tooManyRequests, code: "rate_limited", message, headers: [.retryAfter: String(seconds)])
    }
    /// 503: a dependency (Redis, PostgreSQL, S3, WB) is not reachable.
    public static func unavailable(_ message: String) -> APIError { APIError(.serviceUnavailable, code: "unavailable", message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorBody(error: .init(code: code, message: message, requestId: context.requestIDForErrors))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let data = try JSONCoding.data(body)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The JSON shape of every error response.
public struct ErrorBody: Codable, Sendable {
    /// The error itself.
    public struct Detail: Codable, Sendable {
        /// ``APIError/code``.
        public var code: String
        /// ``APIError/message``.
        public var message: String
        /// The request id, to quote in a report.
        public var requestId: String?
    }
    /// The error itself.
    public var error: Detail
}

extension RequestContext {
    /// The request id errors carry (a ``FleetRequestContext`` has one; other contexts have none).
    var requestIDForErrors: String? { (self as? any FleetRequestContext)?.requestID }
}
