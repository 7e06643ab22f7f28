import FleetCore
import Foundation
import Hummingbird
import NIOCore

/// JSON in and out of handlers (``JSONCoding``: ISO 8601 dates, sorted keys), bodies capped at the context's
/// ``FleetRequestContext/maxBody``, decoding errors that name the field.
public enum JSONBodies {
    /// A JSON response.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = headers[.cacheControl] ?? "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONCoding.data(value))))
    }

    /// A 204 response.
    public static func noContent() -> Response { Response(status: .noContent) }

    /// Decodes the request body as `T`.
    /// - Throws: ``APIError`` 415 for another content type, 413 above the limit, 400 naming what is wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some FleetRequestContext) async throws -> T {
        try parse(T.self, try await body(of: request, context: context))
    }

    /// Decodes the request body as `T`, or nil when there is no body (an optional body: `POST /api/auth/refresh`).
    public static func decodeIfPresent<T: Decodable>(_ type: T.Type, from request: Request, context: some FleetRequestContext) async throws -> T? {
        if request.headers[.contentLength] == "0" { return nil }
        if request.headers[.contentType] == nil && request.headers[.contentLength] == nil && request.headers[.transferEncoding] == nil { return nil }
        let buffer = try await body(of: request, context: context)
        return buffer.readableBytes == 0 ? nil : try parse(T.self, buffer)
    }

    /// The body, after checking its content type and size.
    public static func body(of request: Request, context: some FleetRequestContext) async throws -> ByteBuffer {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError.unsupportedMediaType("send the body as application/json, not \(contentType)")
        }
        do {
            return try await request.body.collect(upTo: context.maxBody)
        } catch {
            throw APIError.tooLarge("the request body is larger than \(context.maxBody) bytes (API_MAX_BODY)")
        }
    }

    /// Decodes `body` as `T`.
    /// - Throws: ``APIError`` 400 naming the field that is wrong.
    public static func parse<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do {
            return try JSONCoding.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.invalid(JSONCoding.describe(error))
        } catch {
            throw APIError.invalid("the body is not valid JSON")
        }
    }
}
