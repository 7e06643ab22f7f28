import FleetHTTP
import Foundation
import Hummingbird

/// What the file-import endpoints (assignments, cost prices) share: reading the uploaded file with a size limit,
/// and the 422 of a file with problems.
enum ImportUpload {
    /// The request's body, refused with 413 saying `tooLarge` past `limit` bytes (declared or sent).
    static func file(_ request: Request, limit: Int, tooLarge: String) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.tooLarge(tooLarge) }
        do {
            return Data(try await request.body.collect(upTo: limit).readableBytesView)
        } catch {
            throw APIError.tooLarge(tooLarge)
        }
    }

    /// 422 `import_rejected` with the whole report, for a file with `problems` problems (nothing was applied).
    static func rejection<Report: Codable & Sendable>(_ report: Report, problems: Int, _ context: APIRequestContext) throws -> Response {
        let body = ImportRejection(
            error: .init(
                code: "import_rejected",
                message: "\(problems) problem(s) in the file; nothing was applied. Fix the rows listed and import again",
                requestId: context.requestID
            ),
            report: report
        )
        return try JSONBodies.response(body, status: .unprocessableContent)
    }
}
