import Foundation
import Hummingbird
import NIOCore

/// JSON in and out of handlers: ISO 8601 dates, bodies capped at `API_MAX_BODY`, decoding errors that name the field.
enum JSONBodies {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// A JSON response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = headers[.cacheControl] ?? "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// A 204 response.
    static func noContent() -> Response { Response(status: .noContent) }

    /// Decodes the request body as `T`.
    /// - Throws: ``APIError`` 415 for another content type, 413 above the limit, 400 naming what is wrong.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: APIRequestContext) async throws -> T {
        try parse(T.self, try await body(of: request, context: context))
    }

    /// Decodes the request body as `T`, or nil when there is no body (an optional body: `POST /api/auth/refresh`).
    static func decodeIfPresent<T: Decodable>(_ type: T.Type, from request: Request, context: APIRequestContext) async throws -> T? {
        if request.headers[.contentLength] == "0" { return nil }
        if request.headers[.contentType] == nil && request.headers[.contentLength] == nil && request.headers[.transferEncoding] == nil { return nil }
        let buffer = try await body(of: request, context: context)
        return buffer.readableBytes == 0 ? nil : try parse(T.self, buffer)
    }

    /// The body, after checking its content type and size.
    static func body(of request: Request, context: APIRequestContext) async throws -> ByteBuffer {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError.unsupportedMediaType("send the body as application/json, not \(contentType)")
        }
        do {
            return try await request.body.collect(upTo: context.maxBody)
        } catch {
            throw APIError.tooLarge("the request body is larger than \(context.maxBody) bytes (API_MAX_BODY)")
        }
    }

    static func parse<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.invalid(describe(error))
        } catch {
            throw APIError.invalid("the body is not valid JSON")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the body" : "'\(text)'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)) must not be null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(context.codingPath)) is not valid: \(context.debugDescription)"
        @unknown default: return "the body does not have the documented shape"
        }
    }
}
