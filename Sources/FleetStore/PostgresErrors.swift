import PostgresNIO

extension PSQLError {
    /// The SQLSTATE the server reported, if this is a server error.
    public var sqlState: String? { serverInfo?[.sqlState] }

    /// The server's message, if any.
    public var serverMessage: String? { serverInfo?[.message] }

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
            return StoreError(.malformedData, "\(what) was refused, nothing of it was stored: \(error.serverMessage ?? "data error") (SQLSTATE \(error.sqlState ?? "?"))")
        }
        return StoreError(.databaseUnavailable, "could not store \(what); is PostgreSQL up?", underlying: error)
    }
}
