import Foundation
import HTTPTypes
import Hummingbird
import FleetStore
import Logging
import PostgresNIO
import Queue

/// Gives every request an id (the caller's `X-Request-Id` when it is 1–64 characters of `A-Za-z0-9._-`, else a new
/// one), puts it in the log metadata and the `X-Request-Id` response header, sets the body limit, and turns every
/// error into the JSON error shape: unexpected ones become a 500 that names only the request id (the details go to
/// the log).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let maxBody: Int
    /// The routes, to answer 405 (with `Allow`) rather than 404 for a known path with another method.
    let routes: APIRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[.xRequestID].flatMap { Self.isSane($0) ? $0 : nil } ?? Self.newID()
        context.requestID = id
        context.maxBody = maxBody
        context.logger[metadataKey: "request.id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            if let error = error as? APIError {
                response = try error.response(from: request, context: context)
            } else if error.status == .notFound,
                case let allowed = routes.methods(matching: request.uri.path, revealInternal: routes.carriesInternalSecret(request)), !allowed.isEmpty
            {
                let methods = Array(Set(allowed)).sorted().joined(separator: ", ")
                response = try APIError(
                    .methodNotAllowed, code: "method_not_allowed", "\(request.method.rawValue) is not served here; use \(methods)",
                    headers: [.allow: methods]
                ).response(from: request, context: context)
            } else {
                // Hummingbird's own errors (404 route, 413 body, 400 decode): same JSON shape.
                let message = Self.message(for: error)
                response = try APIError(error.status, code: Self.code(for: error.status), message).response(from: request, context: context)
            }
        } catch let error where error is PSQLError || error is PostgresTransactionError || error is StoreError || error is RedisError || error is QueueError {
            // A dependency failed: say so (503) without its details; they go to the log.
            context.logger.warning("request failed on a dependency", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)"])
            let mapped = (error as? QueueError).map { _ in APIError.unavailable("the queue is not reachable (Redis); try again shortly") } ?? APIError.database(error)
            response = try mapped.response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)"])
            response = try APIError(.internalServerError, code: "internal", "something went wrong on our side; quote request id \(id) when you report it")
                .response(from: request, context: context)
        }
        response.headers[.xRequestID] = id
        return response
    }

    static func isSane(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95 || byte == 46
        }
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(UInt64.random(in: .min ... .max, using: &generator), radix: 16) + String(UInt32.random(in: .min ... .max, using: &generator), radix: 16)
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
    static var xRequestID: Self { .init("X-Request-Id")! }
    static var xInternalSecret: Self { .init("X-Internal-Secret")! }
    static var xForwardedFor: Self { .init("X-Forwarded-For")! }
}
