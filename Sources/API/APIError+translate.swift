import Assignments
import AvatarStorage
import FleetAuth
import FleetHTTP
import FleetStore
import HTTPTypes
import Hummingbird
import KPI
import PostgresNIO
import Queue

/// The one place errors of the lower modules become HTTP answers: ``RequestIDMiddleware`` asks ``translate(_:_:)``
/// for every error a handler throws that is not an ``APIError`` already.
extension APIError {
    /// The answer for `error` (a store's, sign-in's, an avatar's, the queue's or PostgreSQL's), or nil for an
    /// unexpected error (a 500). Failures of a dependency are logged with their details, which the answer omits.
    static func translate(_ error: any Error, _ context: APIRequestContext) -> APIError? {
        switch error {
        case let error as AuthError: return APIError(error)
        case let error as AssignmentError: return APIError(error)
        case let error as KPIError: return APIError(error)
        case let error as AvatarError:
            if error.kind == .unavailable { context.logger.warning("request failed on S3", metadata: ["error": "\(error)"]) }
            return APIError(error)
        case is QueueError, is RedisError:
            context.logger.warning("request failed on Redis", metadata: ["error": "\(String(reflecting: error))"])
            return .unavailable("the queue is not reachable (Redis); try again shortly")
        case is StoreError, is PSQLError, is PostgresTransactionError:
            let cause = StoreError.statement(error)
            if cause.code == .statementFailed {
                // A bug or a schema out of step: the cause goes to the log once, with the request id the answer names.
                context.logger.error("request failed: PostgreSQL refused a statement", metadata: ["error": "\(cause)"])
                return APIError(
                    .internalServerError,
                    code: "internal",
                    "something went wrong on our side; quote request id \(context.requestID) when you report it"
                )
            }
            let answer = APIError(cause)
            if answer.status.code >= 500 {
                context.logger.warning("request failed on the database", metadata: ["error": "\(cause)"])
            }
            return answer
        default: return nil
        }
    }

    /// 404, 409, 400 or 403 for a store error's code; 503 for the rest (availability: the SQL text and server
    /// details stay in the log; ``translate(_:_:)`` answers a refused statement with a 500 before this).
    init(_ error: StoreError) {
        switch error.code {
        case .notFound: self = .notFound(error.message)
        case .alreadyExists: self = .conflict(error.message)
        case .invalidInput: self = .invalid(error.message)
        case .protected: self = .forbidden(error.message)
        case .secretKeyMissing, .secretUndecryptable: self = .unavailable("secrets cannot be sealed or opened: \(error.message)")
        default: self = .unavailable("the database is not reachable; try again shortly")
        }
    }

    /// 400, 422, 404 or 409 for an assignment change refused.
    init(_ error: AssignmentError) {
        switch error.kind {
        case .invalid: self = .invalid(error.message)
        case .refused: self = .unprocessable(code: "assignment_refused", error.message)
        case .notFound: self = .notFound(error.message)
        case .conflict: self = .conflict(error.message)
        case .importRejected: self = .unprocessable(code: "import_rejected", error.message)
        }
    }

    /// 400, 404 or 409 for a KPI request refused or a month not computed yet.
    init(_ error: KPIError) {
        switch error.kind {
        case .invalid: self = .invalid(error.message)
        case .notFound: self = .notFound(error.message)
        case .notComputed: self = APIError(.conflict, code: "kpi_not_computed", error.message)
        }
    }

    /// 401, 400, 429 or 503 for a sign-in or session error.
    init(_ error: AuthError) {
        switch error.kind {
        case .unauthenticated: self = .unauthenticated(error.message)
        case .invalidInput: self = .invalid(error.message)
        case .rateLimited(let wait): self = .tooManyRequests(error.message, retryAfter: wait)
        case .unavailable: self = .unavailable(error.message)
        }
    }

    /// 413, 415, 422, 404 or 503 for an avatar error.
    init(_ error: AvatarError) {
        switch error.kind {
        case .tooLarge: self = .tooLarge(error.message)
        case .notJPEG: self = .unsupportedMediaType(error.message)
        case .invalidImage: self = .unprocessable(code: "invalid_image", error.message)
        case .imageTooLarge: self = .unprocessable(code: "image_too_large", error.message)
        case .notFound: self = .notFound(error.message)
        case .unavailable: self = .unavailable(error.message)
        }
    }
}
