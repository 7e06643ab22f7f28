import FleetCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id (the caller's `X-Request-Id` when it is 1–64 characters of `A-Za-z0-9._-`, else a new
/// one), puts it in the log metadata and the `X-Request-Id` response header, sets the body limit, and turns every
/// error into the JSON error shape: errors `translate` knows (a store's, the queue's) become what it says, unexpected
/// ones a 500 that names only the request id (the details go to the log).
public struct RequestIDMiddleware<Context: FleetRequestContext>: RouterMiddleware {
    let maxBody: Int
    let allowedMethods: @Sendable (Request) -> [String]
    let translate: @Sendable (any Error, Context) -> APIError?

    /// - Parameters:
    ///   - maxBody: the body limit every request's context gets.
    ///   - allowedMethods: the methods served at a request's path (a 404 there becomes 405 with `Allow`).
    ///   - translate: the response an error of a dependency or a lower module stands for (nil: not one of those);
    ///     it logs what it must.
    public init(
        maxBody: Int,
        allowedMethods: @escaping @Sendable (Request) -> [String],
        translate: @escaping @Sendable (any Error, Context) -> APIError? = { _, _ in nil }
    ) {
        self.maxBody = maxBody
        self.allowedMethods = allowedMethods
        self.translate = translate
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[.xRequestID].flatMap { Self.isSane($0) ? $0 : nil } ?? Self.newID()
        context.requestID = id
        context.maxBody = maxBody
        context.logger[metadataKey: "request.id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, case let allowed = allowedMethods(request), !allowed.isEmpty {
                let methods = Array(Set(allowed)).sorted().joined(separator: ", ")
                response = try APIError(
                    .methodNotAllowed,
                    code: "method_not_allowed",
                    "\(request.method.rawValue) is not served here; use \(methods)",
                    headers: [.allow: methods]
                ).response(from: request, context: context)
            } else {
                // Hummingbird's own errors (404 route, 413 body, 400 decode): same JSON shape.
                let message = Self.message(for: error)
                response = try APIError(error.status, code: Self.code(for: error.status), message).response(from: request, context: context)
            }
        } catch {
            if let mapped = translate(error, context) {
                response = try mapped.response(from: request, context: context)
            } else {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)"])
                response = try APIError(
                    .internalServerError,
                    code: "internal",
                    "something went wrong on our side; quote request id \(id) when you report it"
                )
                .response(from: request, context: context)
            }
        }
        response.headers[.xRequestID] = id
        return response
    }

    static func isSane(_ text: String) -> Bool { NameSyntax.requestID.admits(text) }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
            + String(UInt32.random(in: .min ... .max, using: &generator), radix: 16)
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_input"
        case 401: "unauthenticated"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "too_large"
        case 415: "unsupported_media_type"
        default: "http_\(status.code)"
        }
    }

    static func message(for error: any HTTPResponseError) -> String {
        switch error.status.code {
        case 404: return "no such endpoint; see /api/openapi.json"
        case 405: return "this endpoint does not accept that method; see /api/openapi.json"
        case 413: return "the request body is too large"
        case 400:
            if let error = error as? HTTPError, let body = error.body { return "the request could not be read: \(body)" }
            return "the request body is not valid JSON of the documented shape; see /api/openapi.json"
        default:
            if let error = error as? HTTPError, let body = error.body { return body }
            return "the request was refused (\(error.status.code))"
        }
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`.
    public static var xRequestID: Self { .init("X-Request-Id")! }
    /// `X-Internal-Secret`: the proxy edge's shared secret for `/internal`.
    public static var xInternalSecret: Self { .init("X-Internal-Secret")! }
    /// `X-Forwarded-For`.
    public static var xForwardedFor: Self { .init("X-Forwarded-For")! }
}
