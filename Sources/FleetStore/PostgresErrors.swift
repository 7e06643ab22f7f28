import PostgresNIO

extension PSQLError {
    /// The SQLSTATE the server reported, if this is a server error.
    public var sqlState: String? { serverInfo?[.sqlState] }

    /// The server's message, if any.
    public var serverMessage: String? { serverInfo?[.message] }

    /// Whether the server's refusal is about availability, so that a retry may well succeed: the connection (class
    /// 08), resources (53), an operator or a timeout (57: shutdown, `statement_timeout`), the system (58), a rollback
    /// (40: serialization, deadlock), a lock not available (55P03), a read-only transaction (25006, a replica after
    /// failover). Other SQLSTATEs (a missing table, an internal error) will fail the same way again.
    public var isAvailabilityProblem: Bool {
        guard let state = sqlState else { return true }
        return ["08", "53", "57", "58", "40"].contains(String(state.prefix(2))) || state == "55P03" || state == "25006"
    }

    /// Whether the server refused the data itself (SQLSTATE classes 21 cardinality, 22 data exception, 23 integrity):
    /// retrying the same input fails the same way.
    public var isDataError: Bool {
        guard let state = sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("21")
    }
}

extension StoreError {
    /// Maps an error from a statement that stored outside data: a data error becomes `malformedData` (with the
    /// server's message, which names the problem), anything else `databaseUnavailable`.
    static func storing(_ what: String, _ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError, error.isDataError {
            return StoreError(
                .malformedData,
                "\(what) was refused, nothing of it was stored: \(error.serverMessage ?? "data error") (SQLSTATE \(error.sqlState ?? "?"))"
            )
        }
        return StoreError(.databaseUnavailable, "could not store \(what); is PostgreSQL up?", underlying: error)
    }
}

extension StoreError {
    /// What a failed statement of a store method means for its caller: integrity errors become `alreadyExists` (with
    /// `conflict`), `invalidInput` or `protected` with a message naming the rule; anything else
    /// `databaseUnavailable` (the SQL text and server details stay in ``underlying``, for the log).
    public static func statement(_ error: any Error, conflict: String = "that conflicts with an existing record") -> StoreError {
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return statement(inner, conflict: conflict)
        }
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError, let state = error.sqlState {
            switch state {
            case "42501":
                return StoreError(
                    .protected,
                    "ADMIN is protected: it can be granted or removed, and an admin deleted, disabled or given a new password, login or email, only with `joycity users create-admin` / `joycity users revoke-admin` on the server",
                    underlying: error
                )
            case "23505": return StoreError(.alreadyExists, conflict, underlying: error)
            case "23503": return StoreError(.invalidInput, "a referenced record does not exist (check accountId)", underlying: error)
            default:
                if error.isDataError {
                    return StoreError(
                        .invalidInput,
                        "a value is out of range or has the wrong form (for example an email without @, or a NUL character)",
                        underlying: error
                    )
                }
                if !error.isAvailabilityProblem {
                    return StoreError(
                        .statementFailed,
                        "PostgreSQL refused a statement (SQLSTATE \(state)): \(error.serverMessage ?? "no message")",
                        underlying: error
                    )
                }
            }
        }
        return StoreError(.databaseUnavailable, "the database is not reachable; try again shortly", underlying: error)
    }
}
