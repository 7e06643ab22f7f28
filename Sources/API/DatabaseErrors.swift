import FleetStore
import PostgresNIO

extension APIError {
    /// What to tell the caller about a failed statement: integrity errors become 409/400/403 with a message naming the
    /// rule, anything else 503 (the SQL text and server details stay in the log).
    static func database(_ error: any Error, conflict: String = "that conflicts with an existing record") -> APIError {
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return database(inner, conflict: conflict)
        }
        if let error = error as? APIError { return error }
        if let error = error as? StoreError {
            switch error.code {
            case .notFound: return .notFound(error.message)
            case .alreadyExists: return .conflict(error.message)
            case .invalidInput: return .invalid(error.message)
            case .secretKeyMissing, .secretUndecryptable: return .unavailable("secrets cannot be sealed or opened: \(error.message)")
            default: return .unavailable("the database is not reachable; try again shortly")
            }
        }
        if let error = error as? PSQLError, let state = error.sqlState {
            switch state {
            case "42501":
                return .forbidden("ADMIN is protected: it can be granted or removed, and an admin deleted, disabled or given a new password, login or email, only with `joycity users create-admin` / `joycity users revoke-admin` on the server")
            case "23505": return .conflict(conflict)
            case "23503": return .invalid("a referenced record does not exist (check accountId)")
            default:
                if error.isDataError { return .invalid("a value is out of range or has the wrong form (for example an email without @, or a NUL character)") }
            }
        }
        return .unavailable("the database is not reachable; try again shortly")
    }
}
